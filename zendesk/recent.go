package zendesk

import "sync"

// recentMap remembers up to n keys, forgetting the oldest first. The driver
// uses it for the ids of comments and messages it posted (to recognise its
// own echo even with the seed's trigger body, which has no author id) and
// for the first Sunshine message it saw per conversation.
type recentMap struct {
	mu   sync.Mutex
	n    int
	m    map[string]string
	ring []string
	next int
}

func newRecentMap(n int) *recentMap {
	return &recentMap{n: n, m: make(map[string]string, n), ring: make([]string, n)}
}

// put stores key=value unless key is present, and returns the stored value.
func (r *recentMap) putIfAbsent(key, value string) string {
	if key == "" {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.m[key]; ok {
		return v
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.m, old)
	}
	r.ring[r.next] = key
	r.next = (r.next + 1) % r.n
	r.m[key] = value
	return value
}

func (r *recentMap) get(key string) (string, bool) {
	if key == "" {
		return "", false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[key]
	return v, ok
}
