package memstore

import (
	"container/heap"

	"github.com/ackscale/ackscale"
)

// The free-IP index, as the SQL stores keep it (migration 008): per
// account and pool, next is the lowest address never handed out and free
// the released addresses below it (a min-heap); held maps each address a
// live instance holds to the instance. An address at or above next may be
// held (an instance created with its IP given), which allocateIP skips.

// poolKey names an account's IP pool.
type poolKey struct{ accountID, pool string }

// heldKey names an address of an account's pool.
type heldKey struct {
	poolKey
	ip string
}

// ipPool is the index of one account's pool.
type ipPool struct {
	next int64 // the lowest address never handed out; 0 = none yet
	// free holds the released addresses below next: those in isFree (an
	// address taken out is only forgotten by isFree, and popped once it
	// surfaces).
	free   ipHeap
	isFree map[int64]bool
}

// allocateIP takes the lowest address of r that no live instance of the
// account's pool holds; CodeIPExhausted when there is none. It writes
// nothing unless it succeeds. The caller holds the lock.
func (s *Store) allocateIP(k poolKey, r ackscale.IPRange) (string, error) {
	first, last, ok := r.Numbers()
	if !ok {
		return "", ackscale.CloudErrorf(ackscale.CodeIPExhausted, "no IPv4 range given for %s (%s)", k.pool, r)
	}
	p := s.ipPools[k]
	if p == nil {
		p = &ipPool{isFree: map[int64]bool{}}
	}
	next := max(p.next, first)
	var taken []int64 // from free, put back on failure
	for {
		var ip int64
		if free, ok := p.lowestFree(first, last); ok && free < next {
			ip = free
			delete(p.isFree, ip)
			taken = append(taken, ip)
		} else if next <= last {
			ip, next = next, next+1
		} else {
			for _, ip := range taken {
				p.add(ip)
			}
			return "", ackscale.CloudErrorf(ackscale.CodeIPExhausted, "no free private IP left in %s (%s)", k.pool, r)
		}
		addr := ackscale.IPv4String(ip)
		if _, held := s.held[heldKey{k, addr}]; held {
			continue
		}
		p.next = next
		s.ipPools[k] = p
		return addr, nil
	}
}

// lowestFree returns the lowest free address in [first, last]. The heap's
// root is the lowest free address; one outside the range (the pool's
// range changed) makes it look through the rest.
func (p *ipPool) lowestFree(first, last int64) (int64, bool) {
	for len(p.free) > 0 && !p.isFree[p.free[0]] {
		heap.Pop(&p.free)
	}
	if len(p.free) == 0 {
		return 0, false
	}
	if ip := p.free[0]; ip >= first && ip <= last {
		return ip, true
	}
	best, ok := int64(0), false
	for _, ip := range p.free {
		if p.isFree[ip] && ip >= first && ip <= last && (!ok || ip < best) {
			best, ok = ip, true
		}
	}
	return best, ok
}

// add puts a free address into the index.
func (p *ipPool) add(ip int64) {
	if !p.isFree[ip] {
		p.isFree[ip] = true
		heap.Push(&p.free, ip)
	}
}

// claimIP takes an address given to a new instance out of the free ones.
// The caller holds the lock.
func (s *Store) claimIP(k poolKey, addr string) {
	if ip, ok := ackscale.ParseIPv4Number(addr); ok && s.ipPools[k] != nil {
		delete(s.ipPools[k].isFree, ip)
	}
}

// freeIP returns a released address to its pool: into free when it lies
// below next (above, the pool will reach it). The caller holds the lock.
func (s *Store) freeIP(k poolKey, addr string) {
	ip, ok := ackscale.ParseIPv4Number(addr)
	if p := s.ipPools[k]; ok && p != nil && ip < p.next {
		p.add(ip)
	}
}

// ipHeap is a min-heap of addresses.
type ipHeap []int64

func (h ipHeap) Len() int           { return len(h) }
func (h ipHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h ipHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *ipHeap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *ipHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
