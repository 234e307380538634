package intercom

import (
	"html"
	"strings"
)

// TextToHTML turns the bot's plain text into the HTML Intercom expects in a
// reply body: blank lines separate <p> paragraphs, single newlines become
// <br>, every character the customer or the model could use as markup is
// escaped (a "<script>" in the text arrives as text), and http(s) URLs
// become links.
func TextToHTML(text string) string {
	text = strings.ReplaceAll(strings.TrimSpace(text), "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(text) + 16)
	for _, para := range strings.Split(text, "\n\n") {
		para = strings.Trim(para, "\n")
		if strings.TrimSpace(para) == "" {
			continue
		}
		b.WriteString("<p>")
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br>")
			}
			writeLinked(&b, line)
		}
		b.WriteString("</p>")
	}
	return b.String()
}

// writeLinked writes line escaped, with http(s) URLs as links.
func writeLinked(b *strings.Builder, line string) {
	for line != "" {
		i := indexURL(line)
		if i < 0 {
			b.WriteString(html.EscapeString(line))
			return
		}
		b.WriteString(html.EscapeString(line[:i]))
		end := i
		for end < len(line) && !isSpace(line[end]) && line[end] != '<' && line[end] != '>' && line[end] != '"' {
			end++
		}
		// Sentence punctuation after a URL is not part of it.
		for end > i && strings.IndexByte(".,;:!?)]}'", line[end-1]) >= 0 {
			end--
		}
		u := line[i:end]
		if u == "http://" || u == "https://" {
			b.WriteString(html.EscapeString(u))
		} else {
			e := html.EscapeString(u)
			b.WriteString(`<a href="` + e + `">` + e + `</a>`)
		}
		line = line[end:]
	}
}

func indexURL(s string) int {
	i := strings.Index(s, "http")
	for i >= 0 {
		rest := s[i:]
		if (strings.HasPrefix(rest, "https://") || strings.HasPrefix(rest, "http://")) && (i == 0 || !isWord(s[i-1])) {
			return i
		}
		j := strings.Index(rest[4:], "http")
		if j < 0 {
			return -1
		}
		i += 4 + j
	}
	return -1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// HTMLToText returns the plain text of an Intercom body: REST responses
// and webhooks of API versions before 2.15 carry HTML with entities, 2.15+
// webhooks plain text; both come out as plain text. Block ends (</p>,
// <br>, </div>, </li>, headings) become newlines, links keep their URL
// ("label (url)" when the label differs), script and style contents are
// dropped, entities are unescaped.
func HTMLToText(s string) string {
	if strings.IndexByte(s, '<') < 0 {
		if strings.IndexByte(s, '&') < 0 {
			return strings.TrimSpace(s)
		}
		return strings.TrimSpace(html.UnescapeString(s))
	}
	var b strings.Builder
	b.Grow(len(s))
	var href string
	linkStart := -1
	for len(s) > 0 {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			b.WriteString(html.UnescapeString(s))
			break
		}
		b.WriteString(html.UnescapeString(s[:lt]))
		s = s[lt:]
		gt := strings.IndexByte(s, '>')
		if gt < 0 {
			// A lone '<' is text.
			b.WriteString(html.UnescapeString(s))
			break
		}
		tag := s[1:gt]
		s = s[gt+1:]
		closing := strings.HasPrefix(tag, "/")
		name := strings.ToLower(strings.TrimLeft(tag, "/"))
		if k := strings.IndexAny(name, " \t\n/"); k >= 0 {
			name = name[:k]
		}
		switch name {
		case "script", "style":
			if !closing {
				end := strings.Index(strings.ToLower(s), "</"+name)
				if end < 0 {
					s = ""
				} else {
					s = s[end:]
				}
			}
		case "br":
			b.WriteByte('\n')
		case "p":
			if closing {
				b.WriteString("\n\n")
			}
		case "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "pre", "ul", "ol":
			if closing || name == "li" {
				if b.Len() > 0 {
					b.WriteByte('\n')
				}
			}
		case "a":
			if !closing {
				href = attr(tag, "href")
				linkStart = b.Len()
			} else if linkStart >= 0 {
				label := b.String()[linkStart:]
				if href != "" && strings.TrimSpace(label) != href {
					b.WriteString(" (" + href + ")")
				}
				href, linkStart = "", -1
			}
		}
	}
	return tidy(b.String())
}

// attr returns the value of attribute name in a tag's source, unescaped.
func attr(tag, name string) string {
	low := strings.ToLower(tag)
	i := strings.Index(low, name+"=")
	if i < 0 {
		return ""
	}
	v := tag[i+len(name)+1:]
	if v == "" {
		return ""
	}
	if q := v[0]; q == '"' || q == '\'' {
		end := strings.IndexByte(v[1:], q)
		if end < 0 {
			return ""
		}
		return html.UnescapeString(v[1 : 1+end])
	}
	if end := strings.IndexAny(v, " \t\n"); end >= 0 {
		v = v[:end]
	}
	return html.UnescapeString(v)
}

// tidy trims lines' trailing spaces and collapses runs of blank lines.
func tidy(s string) string {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
