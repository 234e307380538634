package escalation

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Policy decides, for each customer message, whether the bot answers,
// resolves, hands over to humans or stays silent. It is built once from a
// Config by New and is safe for concurrent use.
type Policy struct {
	minConfidence   float64
	maxBotMessages  int
	maxMessages     int
	maxChars        int
	maxMessageChars int

	ac     *automaton
	nwords int      // uint64 words in a bit set of pattern ids
	human  []uint64 // bit set of the human-phrase pattern ids
	// routePats is the bit set of the content routes' keywords and
	// literals, routesOf maps each of those pattern ids to its routes, and
	// unfiltered lists the content routes whose pattern has no literal.
	// Together they give the few routes that may match a message without
	// looking at the others.
	routePats  []uint64
	routesOf   [][]int // by pattern id
	unfiltered []int

	tagIndex map[string][]int // normalised tag → indices into routes
	routes   []route          // tag routes, then content routes
	def      route

	notices   [3]string
	fallbacks [3]string
	defLang   int

	spam []spamRule

	fallback     FallbackMode
	avail        Availability
	availTimeout time.Duration
	botGroups    []string
	botAgents    []string
	now          func() time.Time

	pool sync.Pool // *scratch
}

type route struct {
	name      string
	target    helpdesk.Target
	hours     *hours
	routeOnly bool
	reason    Reason // ReasonTagRoute or ReasonContentRoute
	keywords  []int  // pattern ids
	re        *regexp.Regexp
	reLit     int // pattern id of a literal the pattern needs, or -1
}

type spamRule struct {
	sender, domain string // lower case; domain without "@"
	subj, body     *regexp.Regexp
	subjLit        int
	bodyLit        int
}

// scratch is per-call working memory, pooled so Decide does not allocate.
type scratch struct {
	text, subject   string // raw message text and subject
	body, subj, tag []byte // normalised text and subject, made on demand
	bodyDone        bool
	subjDone        bool
	bodyBits        []uint64 // patterns found in the text
	subjBits        []uint64 // patterns found in the subject
	routeMatch      []int8   // 0 unknown, 1 match, -1 no match
	cands           []int    // routes that may match, in priority order
}

// match reports whether re matches the normalised text (or subject),
// skipping it when the literal lit it needs was not found.
func (sc *scratch) match(re *regexp.Regexp, lit int, subject bool) bool {
	if subject {
		if lit >= 0 && !hasBit(sc.subjBits, lit) {
			return false
		}
		if !sc.subjDone {
			sc.subj, _ = normalize(sc.subj[:0], sc.subject)
			sc.subjDone = true
		}
		return re.Match(sc.subj)
	}
	if lit >= 0 && !hasBit(sc.bodyBits, lit) {
		return false
	}
	if !sc.bodyDone {
		sc.body, _ = normalize(sc.body[:0], sc.text)
		sc.bodyDone = true
	}
	return re.Match(sc.body)
}

// Option configures a Policy.
type Option func(*Policy)

// WithAvailability makes the Policy ask a before handing over to a target.
// Without it every target within its business hours is available.
func WithAvailability(a Availability) Option { return func(p *Policy) { p.avail = a } }

// WithClock sets the clock used when State.Now is zero (default time.Now;
// nil keeps it).
func WithClock(now func() time.Time) Option {
	return func(p *Policy) {
		if now != nil {
			p.now = now
		}
	}
}

// New validates cfg and builds a Policy. Every problem found is reported in
// one *ValidationError. Regular expressions are compiled and phrases
// normalised here, once.
func New(cfg Config, opts ...Option) (*Policy, error) {
	var ps problems
	p := &Policy{
		minConfidence:   cfg.MinConfidence,
		maxBotMessages:  cfg.MaxBotMessages,
		maxMessages:     cfg.MaxMessages,
		maxChars:        cfg.MaxChars,
		maxMessageChars: cfg.MaxMessageChars,
		fallback:        cfg.Fallback,
		availTimeout:    time.Duration(cfg.AvailabilityTimeout),
		botGroups:       cfg.BotGroupIDs,
		botAgents:       cfg.BotAgentIDs,
		now:             time.Now,
	}
	for _, o := range opts {
		o(p)
	}

	if math.IsNaN(cfg.MinConfidence) || cfg.MinConfidence < 0 || cfg.MinConfidence > 1 {
		ps.add("min_confidence", "must be between 0 and 1, got %v", cfg.MinConfidence)
	}
	for _, l := range []struct {
		field string
		v     int
	}{
		{"max_bot_messages", cfg.MaxBotMessages}, {"max_messages", cfg.MaxMessages},
		{"max_chars", cfg.MaxChars}, {"max_message_chars", cfg.MaxMessageChars},
	} {
		if l.v < 0 {
			ps.add(l.field, "must not be negative, got %d", l.v)
		}
	}
	if cfg.AvailabilityTimeout < 0 {
		ps.add("availability_timeout", "must not be negative, got %s", time.Duration(cfg.AvailabilityTimeout))
	}
	switch cfg.Fallback {
	case "":
		p.fallback = FallbackNext
	case FallbackNext, FallbackDefault, FallbackBot:
	default:
		ps.add("fallback", "unknown mode %q (want %q, %q or %q)", cfg.Fallback, FallbackNext, FallbackDefault, FallbackBot)
	}
	for i, id := range cfg.BotGroupIDs {
		if strings.TrimSpace(id) == "" {
			ps.add(fmt.Sprintf("bot_group_ids[%d]", i), "empty id")
		}
	}
	for i, id := range cfg.BotAgentIDs {
		if strings.TrimSpace(id) == "" {
			ps.add(fmt.Sprintf("bot_agent_ids[%d]", i), "empty id")
		}
	}

	// languages and texts.
	p.defLang = languageIndex("en")
	if cfg.DefaultLanguage != "" {
		if i := languageIndex(cfg.DefaultLanguage); i >= 0 && len(cfg.DefaultLanguage) == 2 {
			p.defLang = i
		} else {
			ps.add("default_language", "unknown language %q (want one of %s)", cfg.DefaultLanguage, languageList)
		}
	}
	notices := checkTexts(&ps, "notices", cfg.Notices)
	fallbacks := checkTexts(&ps, "fallback_notices", cfg.FallbackNotices)
	for i, l := range languages {
		p.notices[i] = cmpOr(notices[i], DefaultNotices[l])
		p.fallbacks[i] = cmpOr(fallbacks[i], DefaultFallbackNotices[l])
	}

	// Patterns for the automaton.
	var pats patternSet
	var humanIDs []int
	phrases := cfg.HumanPhrases
	if !cfg.NoDefaultPhrases {
		phrases = append(append([]string(nil), DefaultHumanPhrases...), cfg.HumanPhrases...)
	}
	for i, ph := range cfg.HumanPhrases {
		if wordForm(ph) == "" {
			ps.add(fmt.Sprintf("human_phrases[%d]", i), "no letters or digits")
		}
	}
	for _, ph := range phrases {
		if id := pats.add(ph, true); id >= 0 {
			humanIDs = append(humanIDs, id)
		}
	}

	// Business hours by target.
	hoursOf := make(map[targetKey]*hours)
	for i, th := range cfg.Hours {
		f := fmt.Sprintf("hours[%d]", i)
		ps.checkTarget(f+".target", th.Target, &cfg)
		h := compileHours(&ps, f, th)
		k := keyOf(th.Target)
		if _, dup := hoursOf[k]; dup {
			ps.add(f+".target", "duplicate hours for %s", k)
		}
		hoursOf[k] = h
	}

	// Routes.
	p.tagIndex = make(map[string][]int)
	tagSeen := make(map[string]string)
	for i, tr := range cfg.TagRoutes {
		f := fmt.Sprintf("tag_routes[%d]", i)
		ps.checkTarget(f+".target", tr.Target, &cfg)
		if len(tr.Tags) == 0 {
			ps.add(f+".tags", "no tags")
		}
		idx := len(p.routes)
		for j, tag := range tr.Tags {
			n := normalizeString(tag)
			tf := fmt.Sprintf("%s.tags[%d]", f, j)
			switch prev, dup := tagSeen[n]; {
			case n == "":
				ps.add(tf, "empty tag")
			case dup && prev == f:
				ps.add(tf, "duplicate tag %q", tag)
			case dup:
				ps.add(tf, "tag %q is already routed by %s (a duplicate route is never used)", tag, prev)
			default:
				tagSeen[n] = f
				p.tagIndex[n] = append(p.tagIndex[n], idx)
			}
		}
		p.routes = append(p.routes, route{
			name: cmpOr(tr.Name, f), target: tr.Target, hours: hoursOf[keyOf(tr.Target)],
			routeOnly: tr.RouteOnly, reason: ReasonTagRoute, reLit: -1,
		})
	}
	contentSeen := make(map[string]string)
	for i, cr := range cfg.ContentRoutes {
		f := fmt.Sprintf("content_routes[%d]", i)
		ps.checkTarget(f+".target", cr.Target, &cfg)
		r := route{
			name: cmpOr(cr.Name, f), target: cr.Target, hours: hoursOf[keyOf(cr.Target)],
			routeOnly: cr.RouteOnly, reason: ReasonContentRoute, reLit: -1,
		}
		if len(cr.Keywords) == 0 && cr.Pattern == "" {
			ps.add(f, "needs keywords or a pattern")
		}
		var sig strings.Builder
		for j, kw := range cr.Keywords {
			id := pats.add(kw, true)
			if id < 0 {
				ps.add(fmt.Sprintf("%s.keywords[%d]", f, j), "no letters or digits")
				continue
			}
			r.keywords = append(r.keywords, id)
			sig.WriteString(wordForm(kw) + "\x00")
		}
		if cr.Pattern != "" {
			re, lit, err := compilePattern(cr.Pattern)
			if err != nil {
				ps.add(f+".pattern", "%v", err)
			} else {
				r.re = re
				r.reLit = pats.add(lit, false)
			}
			sig.WriteString("\x01" + cr.Pattern)
		}
		if prev, dup := contentSeen[sig.String()]; dup && sig.Len() > 0 {
			ps.add(f, "same keywords and pattern as %s (a duplicate route is never used)", prev)
		} else {
			contentSeen[sig.String()] = f
		}
		p.routes = append(p.routes, r)
	}
	ps.checkTarget("default_target", cfg.DefaultTarget, &cfg)
	p.def = route{name: "default", target: cfg.DefaultTarget, hours: hoursOf[keyOf(cfg.DefaultTarget)], reLit: -1}

	// Spam rules.
	spamSeen := make(map[SpamRule]int)
	for i, sr := range cfg.Spam {
		f := fmt.Sprintf("spam[%d]", i)
		key := sr
		key.Name = ""
		if prev, dup := spamSeen[key]; dup {
			ps.add(f, "same rule as spam[%d]", prev)
		}
		spamSeen[key] = i
		r := spamRule{
			sender:  strings.ToLower(strings.TrimSpace(sr.Sender)),
			domain:  strings.ToLower(strings.TrimPrefix(strings.TrimSpace(sr.Domain), "@")),
			subjLit: -1, bodyLit: -1,
		}
		if r.sender == "" && r.domain == "" && sr.Subject == "" && sr.Body == "" {
			ps.add(f, "empty rule: set sender, domain, subject or body")
		}
		if r.sender != "" && !strings.Contains(r.sender, "@") {
			ps.add(f+".sender", "%q is not an email address", sr.Sender)
		}
		if r.domain != "" && (strings.Contains(r.domain, "@") || !strings.Contains(r.domain, ".")) {
			ps.add(f+".domain", "%q is not a domain", sr.Domain)
		}
		if sr.Subject != "" {
			re, lit, err := compilePattern(sr.Subject)
			if err != nil {
				ps.add(f+".subject", "%v", err)
			}
			r.subj = re
			r.subjLit = pats.add(lit, false)
		}
		if sr.Body != "" {
			re, lit, err := compilePattern(sr.Body)
			if err != nil {
				ps.add(f+".body", "%v", err)
			}
			r.body = re
			r.bodyLit = pats.add(lit, false)
		}
		p.spam = append(p.spam, r)
	}

	if err := ps.err(); err != nil {
		return nil, err
	}

	p.ac = buildAutomaton(pats.list)
	p.nwords = (len(pats.list) + 63) / 64
	p.human = make([]uint64, p.nwords)
	for _, id := range humanIDs {
		p.human[id>>6] |= 1 << (uint(id) & 63)
	}
	p.routePats = make([]uint64, p.nwords)
	p.routesOf = make([][]int, len(pats.list))
	for i, r := range p.routes {
		ids := r.keywords
		if r.re != nil {
			if r.reLit < 0 {
				p.unfiltered = append(p.unfiltered, i)
			} else {
				ids = append(ids[:len(ids):len(ids)], r.reLit)
			}
		}
		for _, id := range ids {
			p.routePats[id>>6] |= 1 << (uint(id) & 63)
			if rs := p.routesOf[id]; len(rs) == 0 || rs[len(rs)-1] != i {
				p.routesOf[id] = append(rs, i)
			}
		}
	}
	p.pool.New = func() any {
		return &scratch{
			bodyBits:   make([]uint64, p.nwords),
			subjBits:   make([]uint64, p.nwords),
			routeMatch: make([]int8, len(p.routes)),
		}
	}
	return p, nil
}

type targetKey struct {
	kind helpdesk.TargetKind
	id   string
}

func (k targetKey) String() string { return string(k.kind) + ":" + k.id }

func keyOf(t helpdesk.Target) targetKey {
	return targetKey{t.Kind, strings.TrimSpace(t.ID)}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// compilePattern compiles a pattern and finds a literal every match must
// contain, used to skip the regular expression when the literal is absent.
func compilePattern(pattern string) (*regexp.Regexp, string, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return nil, "", fmt.Errorf("invalid regular expression: %s: %q", se.Code, se.Expr)
		}
		return nil, "", fmt.Errorf("invalid regular expression: %v", err)
	}
	parsed, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return re, "", nil
	}
	return re, requiredLiteral(parsed), nil
}

// requiredLiteral returns a literal that occurs in every match of r, or "".
// Case-folded literals are not used: the text is normalised, but Unicode
// case folding has corners (ſ, K) that a plain substring test would miss.
func requiredLiteral(r *syntax.Regexp) string {
	switch r.Op {
	case syntax.OpLiteral:
		if r.Flags&syntax.FoldCase != 0 {
			return ""
		}
		return string(r.Rune)
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiteral(r.Sub[0])
	case syntax.OpRepeat:
		if r.Min >= 1 {
			return requiredLiteral(r.Sub[0])
		}
	case syntax.OpConcat:
		best := ""
		for _, s := range r.Sub {
			if l := requiredLiteral(s); len(l) > len(best) {
				best = l
			}
		}
		return best
	}
	return ""
}

// Decide decides what to do with st.Event given the bot's candidate answer.
// It never panics and does not allocate on the answering path; ctx bounds
// Availability calls.
//
// Rules are evaluated in this order; the first that applies wins:
//
//  1. Ignore: the bot's own echo (ReasonOwnEcho); an internal note
//     (ReasonInternalNote); anything but a public customer message
//     (ReasonNotCustomer); a conversation the bot no longer owns
//     (ReasonNotAssignedToBot); spam (ReasonSpam).
//  2. The customer asks for a human (ReasonCustomerAskedHuman).
//  3. Routes, tag routes first, then content routes, in configuration
//     order (ReasonTagRoute, ReasonContentRoute); RouteOnly routes skipped.
//  4. Limits: bot messages (ReasonMaxBotMessages), conversation size
//     (ReasonConversationTooLong), message size (ReasonContentTooLarge).
//  5. The answer: empty and not solved (ReasonNoAnswer); confidence below
//     MinConfidence (ReasonLowConfidence).
//  6. Resolve when the answer says solved (ReasonResolved), else reply
//     (ReasonAnswered).
//
// Every handover (2 to 5) goes to the first matching route, RouteOnly ones
// included, else to the default target. A target outside its business
// hours or without anyone available is passed over as Config.Fallback
// says; when no target is left the bot keeps the conversation: ActionReply
// with the handover Reason, Fallback saying why and the fallback notice.
func (p *Policy) Decide(ctx context.Context, st State, ans Answer) Decision {
	ev := &st.Event
	if ev.FromSelf() {
		return Decision{Action: ActionIgnore, Reason: ReasonOwnEcho}
	}
	if ev.Type == helpdesk.EventMessageCreated && ev.Message != nil && !ev.Message.Public {
		return Decision{Action: ActionIgnore, Reason: ReasonInternalNote}
	}
	if !ev.IsCustomerMessage() {
		return Decision{Action: ActionIgnore, Reason: ReasonNotCustomer}
	}
	if st.NotAssignedToBot || (ev.Assignment != nil && !ev.Assignment.ToBot) {
		return Decision{Action: ActionIgnore, Reason: ReasonNotAssignedToBot}
	}
	msg := ev.Message
	subject := cmpOr(st.Subject, msg.Subject)
	sender := cmpOr(st.SenderEmail, msg.Author.Email)

	sc := p.pool.Get().(*scratch)
	defer p.putScratch(sc)
	sc.text, sc.subject = msg.Text, subject
	sc.bodyDone, sc.subjDone = false, false
	clear(sc.bodyBits)
	clear(sc.subjBits)
	clear(sc.routeMatch)
	textRunes := p.ac.scan(msg.Text, sc.bodyBits)
	subjRunes := p.ac.scan(subject, sc.subjBits)

	if p.isSpam(sender, sc) {
		return Decision{Action: ActionIgnore, Reason: ReasonSpam}
	}
	p.candidates(st.Tags, sc)

	if anyBit(sc.bodyBits, p.human) || anyBit(sc.subjBits, p.human) {
		return p.escalate(ctx, &st, ans, sc, ReasonCustomerAskedHuman)
	}
	for _, i := range sc.cands {
		if !p.routes[i].routeOnly && p.routeMatches(i, sc) {
			return p.escalate(ctx, &st, ans, sc, p.routes[i].reason)
		}
	}

	if p.maxBotMessages > 0 && st.BotMessages >= p.maxBotMessages {
		return p.escalate(ctx, &st, ans, sc, ReasonMaxBotMessages)
	}
	msgChars := textRunes + subjRunes
	if p.maxMessages > 0 && sat(st.BotMessages, st.CustomerMessages)+1 > p.maxMessages ||
		p.maxChars > 0 && sat(st.Chars, msgChars) > p.maxChars {
		return p.escalate(ctx, &st, ans, sc, ReasonConversationTooLong)
	}
	if p.maxMessageChars > 0 && msgChars > p.maxMessageChars {
		return p.escalate(ctx, &st, ans, sc, ReasonContentTooLarge)
	}

	if !ans.Solved && strings.TrimSpace(ans.Text) == "" {
		return p.escalate(ctx, &st, ans, sc, ReasonNoAnswer)
	}
	if conf := ans.Confidence; math.IsNaN(conf) || conf < p.minConfidence {
		return p.escalate(ctx, &st, ans, sc, ReasonLowConfidence)
	}
	if ans.Solved {
		return Decision{Action: ActionResolve, Reason: ReasonResolved, Text: ans.Text}
	}
	return Decision{Action: ActionReply, Reason: ReasonAnswered, Text: ans.Text}
}

// sat adds non-negative counts without overflowing; negative counts from a
// confused host count as zero.
func sat(a, b int) int {
	a, b = max(a, 0), max(b, 0)
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

func (p *Policy) putScratch(sc *scratch) {
	sc.text, sc.subject = "", "" // do not keep the message alive
	if cap(sc.body) > 2*scanLimit || cap(sc.subj) > 2*scanLimit || cap(sc.tag) > scanLimit {
		return // do not keep buffers grown by one huge event
	}
	p.pool.Put(sc)
}

func anyBit(bits, mask []uint64) bool {
	for i, m := range mask {
		if bits[i]&m != 0 {
			return true
		}
	}
	return false
}

func (p *Policy) isSpam(sender string, sc *scratch) bool {
	if len(p.spam) == 0 {
		return false
	}
	sender = strings.TrimSpace(sender)
	if lt := strings.LastIndexByte(sender, '<'); lt >= 0 && strings.HasSuffix(sender, ">") {
		sender = sender[lt+1 : len(sender)-1] // "Name <address>"
	}
	domain := ""
	if at := strings.LastIndexByte(sender, '@'); at >= 0 {
		domain = sender[at+1:]
	}
	for i := range p.spam {
		r := &p.spam[i]
		if r.sender != "" && !strings.EqualFold(sender, r.sender) {
			continue
		}
		if r.domain != "" && !domainMatches(domain, r.domain) {
			continue
		}
		if r.subj != nil && !sc.match(r.subj, r.subjLit, true) {
			continue
		}
		if r.body != nil && !sc.match(r.body, r.bodyLit, false) {
			continue
		}
		return true
	}
	return false
}

// domainMatches reports whether domain is rule or a subdomain of it.
func domainMatches(domain, rule string) bool {
	if len(domain) < len(rule) {
		return false
	}
	if !strings.EqualFold(domain[len(domain)-len(rule):], rule) {
		return false
	}
	return len(domain) == len(rule) || domain[len(domain)-len(rule)-1] == '.'
}

// candidates fills sc.cands with the routes that may match, in priority
// order: tag routes matching tags (marked as matched), content routes whose
// keyword or literal was found, content routes with unfiltered patterns.
func (p *Policy) candidates(tags []string, sc *scratch) {
	sc.cands = sc.cands[:0]
	p.matchTags(tags, sc)
	for w, m := range p.routePats {
		found := (sc.bodyBits[w] | sc.subjBits[w]) & m
		for found != 0 {
			id := w<<6 | bits.TrailingZeros64(found)
			found &= found - 1
			sc.cands = append(sc.cands, p.routesOf[id]...)
		}
	}
	sc.cands = append(sc.cands, p.unfiltered...)
	if len(sc.cands) > 1 {
		slices.Sort(sc.cands)
		sc.cands = slices.Compact(sc.cands)
	}
}

// matchTags marks the tag routes matching tags and adds them to sc.cands.
func (p *Policy) matchTags(tags []string, sc *scratch) {
	if len(p.tagIndex) == 0 {
		return
	}
	for _, t := range tags {
		var routes []int
		if isNormalTag(t) {
			routes = p.tagIndex[t] // most helpdesks store tags this way
		} else {
			sc.tag, _ = normalize(sc.tag[:0], t)
			routes = p.tagIndex[string(sc.tag)]
		}
		for _, i := range routes {
			sc.routeMatch[i] = 1
			sc.cands = append(sc.cands, i)
		}
	}
}

// isNormalTag reports whether normalize would return t unchanged.
func isNormalTag(t string) bool {
	if t == "" || t[0] == ' ' || t[len(t)-1] == ' ' {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		k := asciiKind[c&0x7F]
		if c >= utf8.RuneSelf || k == kindDrop || ('A' <= c && c <= 'Z') || (k == kindSpace && (c != ' ' || t[i+1] == ' ')) {
			return false
		}
	}
	return true
}

// routeMatches reports whether route i matches, evaluating content routes
// lazily and remembering the result for the call.
func (p *Policy) routeMatches(i int, sc *scratch) bool {
	switch sc.routeMatch[i] {
	case 1:
		return true
	case -1:
		return false
	}
	r := &p.routes[i]
	ok := false
	if r.reason == ReasonContentRoute {
		for _, id := range r.keywords {
			if hasBit(sc.bodyBits, id) || hasBit(sc.subjBits, id) {
				ok = true
				break
			}
		}
		if !ok && r.re != nil {
			ok = sc.match(r.re, r.reLit, false) || sc.match(r.re, r.reLit, true)
		}
	}
	if ok {
		sc.routeMatch[i] = 1
	} else {
		sc.routeMatch[i] = -1
	}
	return ok
}

// escalate picks the target for a handover decided for reason.
func (p *Policy) escalate(ctx context.Context, st *State, ans Answer, sc *scratch, reason Reason) Decision {
	lang := languageIndex(st.Language)
	if lang < 0 {
		lang = p.defLang
	}
	now := st.Now
	if now.IsZero() {
		now = p.now()
	}
	d := Decision{Action: ActionReply, Reason: reason}
	var errs []error
	tried := false
	try := func(r *route) bool {
		tried = true
		why, err := p.check(ctx, r, now)
		if err != nil {
			errs = append(errs, err)
		}
		if why == "" {
			d.Action = ActionEscalate
			d.Route = r.name
			d.Target = r.target
			if d.Target.Notice == "" {
				d.Target.Notice = p.notices[lang]
			}
			if d.Target.Note == "" {
				d.Target.Note = handoverNotes[reason]
			}
			d.Notice = d.Target.Notice
			return true
		}
		if d.Fallback == "" {
			d.Fallback = why
		}
		return false
	}
	done := false
	for _, i := range sc.cands {
		if !p.routeMatches(i, sc) {
			continue
		}
		done = try(&p.routes[i])
		if done || p.fallback != FallbackNext {
			break
		}
	}
	if !done && (!tried || p.fallback != FallbackBot) {
		done = try(&p.def)
	}
	if len(errs) > 0 {
		d.Err = errors.Join(errs...)
	}
	if !done {
		d.Text = ans.Text
		d.Notice = p.fallbacks[lang]
	}
	return d
}

// check returns "" when r's target can take the conversation now, else why
// not.
func (p *Policy) check(ctx context.Context, r *route, now time.Time) (Reason, error) {
	if isBotTarget(r.target, p.botGroups, p.botAgents) {
		// New refuses such targets; never hand a conversation back to the
		// bot even if the configuration was changed underneath.
		return ReasonNoAgentsOnline, nil
	}
	if r.hours != nil && !r.hours.isOpen(now) {
		return ReasonOutsideHours, nil
	}
	if p.avail == nil {
		return "", nil
	}
	if p.availTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.availTimeout)
		defer cancel()
	}
	ok, err := p.avail.Available(ctx, r.target)
	if err != nil {
		return ReasonAvailabilityError, fmt.Errorf("escalation: availability of %s: %w", r.target, err)
	}
	if !ok {
		return ReasonNoAgentsOnline, nil
	}
	return "", nil
}

// handoverNotes are the internal notes left for agents, by reason.
var handoverNotes = map[Reason]string{
	ReasonCustomerAskedHuman:  "Handed over by the bot: the customer asked for a human.",
	ReasonTagRoute:            "Handed over by the bot: a tag routes this conversation here.",
	ReasonContentRoute:        "Handed over by the bot: the message matches a routing rule.",
	ReasonMaxBotMessages:      "Handed over by the bot: it reached its message limit for this conversation.",
	ReasonConversationTooLong: "Handed over by the bot: the conversation is too long for it.",
	ReasonContentTooLarge:     "Handed over by the bot: the customer's message is too large for it.",
	ReasonLowConfidence:       "Handed over by the bot: it was not confident enough in its answer.",
	ReasonNoAnswer:            "Handed over by the bot: it had no answer.",
}
