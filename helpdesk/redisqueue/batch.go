package redisqueue

import "sync"

// coalescer gathers calls that arrive while earlier ones are being
// written and writes them together: one round trip (one script call) per
// batch, with up to maxWriters batches in flight, so that many concurrent
// callers cost a few round trips and not one each. Each caller still
// waits for its own result: batching changes what a write costs, never
// what it promises.
type coalescer[T any] struct {
	// maxWriters is how many batches may be in flight at once.
	maxWriters int
	// maxBatch bounds the weight of one batch (at least one item is
	// always taken), so that no script call holds Redis for long.
	maxBatch int
	// weight is an item's share of maxBatch.
	weight func(T) int
	// write writes a batch and answers each of its items.
	write func([]T)

	mu      sync.Mutex
	pending []T
	writers int
	// idle is closed when the last writer stops, nothing being left to
	// write; nil while none runs.
	idle chan struct{}
}

// busy returns a channel closed once nothing is pending or being
// written, or nil when that is so already.
func (c *coalescer[T]) busy() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.idle
}

// add queues item for the next batch, starting a writer if fewer than
// maxWriters run. The caller waits for write's answer its own way.
func (c *coalescer[T]) add(item T) {
	c.mu.Lock()
	c.pending = append(c.pending, item)
	start := c.writers < c.maxWriters
	if start {
		if c.writers == 0 {
			c.idle = make(chan struct{})
		}
		c.writers++
	}
	c.mu.Unlock()
	if start {
		go c.writeLoop()
	}
}

// writeLoop writes pending items, a batch at a time, until none is left.
func (c *coalescer[T]) writeLoop() {
	for {
		c.mu.Lock()
		batch := c.take()
		if batch == nil {
			c.writers--
			if c.writers == 0 {
				close(c.idle)
				c.idle = nil
			}
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		c.write(batch)
	}
}

// take removes the oldest pending items, up to maxBatch in weight (at
// least one item), with c.mu held.
func (c *coalescer[T]) take() []T {
	n, w := 0, 0
	for n < len(c.pending) && (n == 0 || w+c.weight(c.pending[n]) <= c.maxBatch) {
		w += c.weight(c.pending[n])
		n++
	}
	if n == 0 {
		return nil
	}
	batch := c.pending[:n:n]
	c.pending = c.pending[n:]
	if len(c.pending) == 0 {
		c.pending = nil
	}
	return batch
}
