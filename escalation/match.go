package escalation

// automaton is an Aho–Corasick matcher over normalised text: one pass over a
// message finds every human phrase, route keyword and regular-expression
// literal the Policy knows, whatever their number. Bytes are mapped to
// equivalence classes (those that occur in some pattern, plus one for all
// others) so the transition table stays small.
type automaton struct {
	class   [256]uint16
	nclass  int
	delta   []int32   // state*nclass + class → next state
	outputs [][]int32 // state → ids of the patterns ending there
	pats    []acPattern
}

// acPattern is one pattern; words requires word boundaries around it (at the
// ends that are word characters), so "agent" does not match "agents".
type acPattern struct {
	text  string
	words bool
}

// patternSet collects patterns and hands out stable ids, sharing an id
// between identical patterns.
type patternSet struct {
	ids  map[acPattern]int
	list []acPattern
}

func (ps *patternSet) add(text string, words bool) int {
	p := acPattern{text, words}
	if id, ok := ps.ids[p]; ok {
		return id
	}
	if ps.ids == nil {
		ps.ids = make(map[acPattern]int)
	}
	id := len(ps.list)
	ps.ids[p] = id
	ps.list = append(ps.list, p)
	return id
}

func buildAutomaton(pats []acPattern) *automaton {
	a := &automaton{pats: pats}
	a.nclass = 1
	for _, p := range pats {
		for i := 0; i < len(p.text); i++ {
			if a.class[p.text[i]] == 0 {
				a.class[p.text[i]] = uint16(a.nclass)
				a.nclass++
			}
		}
	}
	n := a.nclass
	// Trie.
	a.delta = make([]int32, n)
	for i := range a.delta {
		a.delta[i] = -1
	}
	own := [][]int32{nil}
	for id, p := range pats {
		if p.text == "" {
			continue
		}
		s := int32(0)
		for i := 0; i < len(p.text); i++ {
			c := int(a.class[p.text[i]])
			next := a.delta[int(s)*n+c]
			if next < 0 {
				next = int32(len(own))
				a.delta[int(s)*n+c] = next
				own = append(own, nil)
				for range n {
					a.delta = append(a.delta, -1)
				}
			}
			s = next
		}
		own[s] = append(own[s], int32(id))
	}
	// Failure links, breadth first, completing the transition table into a
	// DFA and gathering outputs along the failure chain.
	states := len(own)
	fail := make([]int32, states)
	a.outputs = make([][]int32, states)
	a.outputs[0] = own[0]
	queue := make([]int32, 0, states)
	for c := range n {
		child := a.delta[c]
		if child < 0 {
			a.delta[c] = 0
			continue
		}
		fail[child] = 0
		queue = append(queue, child)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		a.outputs[s] = append(append([]int32(nil), own[s]...), a.outputs[fail[s]]...)
		for c := range n {
			idx := int(s)*n + c
			child := a.delta[idx]
			f := a.delta[int(fail[s])*n+c]
			if child < 0 {
				a.delta[idx] = f
				continue
			}
			fail[child] = f
			queue = append(queue, child)
		}
	}
	return a
}

// scan sets bit id in bits for every pattern found in text (already
// normalised). bits must hold at least len(a.pats) bits.
func (a *automaton) scan(text []byte, bits []uint64) {
	if len(a.pats) == 0 {
		return
	}
	n := a.nclass
	delta, outputs, class := a.delta, a.outputs, &a.class
	s := int32(0)
	for i := 0; i < len(text); i++ {
		s = delta[int(s)*n+int(class[text[i]])]
		if outs := outputs[s]; len(outs) > 0 {
			a.report(text, i+1, outs, bits)
		}
	}
}

func (a *automaton) report(text []byte, end int, outs []int32, bits []uint64) {
	for _, id := range outs {
		p := &a.pats[id]
		if p.words {
			start := end - len(p.text)
			if start > 0 && isWordByte(p.text[0]) && isWordByte(text[start-1]) {
				continue
			}
			if end < len(text) && isWordByte(p.text[len(p.text)-1]) && isWordByte(text[end]) {
				continue
			}
		}
		bits[id>>6] |= 1 << (uint(id) & 63)
	}
}

func hasBit(bits []uint64, id int) bool { return bits[id>>6]&(1<<(uint(id)&63)) != 0 }
