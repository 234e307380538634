package intercom

// WithoutReconcile makes c send its writes unreconciled, as the driver did
// before reconcile.go: the fault test shows its scenario catches that.
// Tests only: the read-back is not something users turn off.
func WithoutReconcile(c *Client) { c.noReconcile = true }
