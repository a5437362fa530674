package surface

import "strings"

// Commands finds the `dagger call` invocations in shell text and returns
// the words after `call` of each: continuation lines joined, quotes and
// $(...) kept as one word, stopping at |, ;, &&, ||, redirections, a
// comment or the end of the line. Any word ending in "dagger" runs the CLI
// (dagger, ./airgap/dagger, $(DAGGER) expanded).
func Commands(text string) [][]string {
	text = strings.ReplaceAll(text, "\\\n", " ")
	var out [][]string
	for _, line := range strings.Split(text, "\n") {
		words := Words(line)
		for i := 0; i+1 < len(words); i++ {
			if strings.HasSuffix(words[i], "dagger") && words[i+1] == "call" {
				out = append(out, words[i+2:])
			}
		}
	}
	return out
}

// Words splits one shell line into words, up to a control operator or a comment.
func Words(line string) []string {
	var words []string
	var w strings.Builder
	inWord, quote, depth := false, rune(0), 0
	flush := func() {
		if inWord {
			words = append(words, w.String())
		}
		w.Reset()
		inWord = false
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				w.WriteRune(r)
			}
		case depth > 0:
			w.WriteRune(r)
			if r == '(' {
				depth++
			} else if r == ')' {
				depth--
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '$' && i+1 < len(rs) && rs[i+1] == '(':
			w.WriteString("$(")
			i++
			depth, inWord = 1, true
		case r == ' ' || r == '\t':
			flush()
		case strings.ContainsRune("|;&<>", r) || r == '#' && !inWord:
			flush()
			return words
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	flush()
	return words
}
