package queue

import "sync"

// Lazy holds a service's queue, made on the service's Start: requests may
// Kick it, and the server Close it, before, during or after that.
type Lazy struct {
	mu sync.Mutex
	q  *Queue
}

// Start makes the queue with newQueue (once) and starts it.
func (l *Lazy) Start(newQueue func() *Queue) {
	l.mu.Lock()
	if l.q != nil {
		l.mu.Unlock()
		return
	}
	l.q = newQueue()
	q := l.q
	l.mu.Unlock()
	q.Start()
}

// Close stops the queue, if started; unfinished jobs stay for the next
// start.
func (l *Lazy) Close() {
	if q := l.get(); q != nil {
		q.Close()
	}
}

// Kick wakes the queue, if started, to look for due jobs.
func (l *Lazy) Kick() {
	if q := l.get(); q != nil {
		q.Kick()
	}
}

func (l *Lazy) get() *Queue {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.q
}
