package cluster

import (
	"encoding/base64"
	"strconv"
)

// Subjects.
func (n *Node) nodeSubject(node int) string { return n.prefix + "n." + strconv.Itoa(node) }

func (n *Node) claimSubject(node int) string {
	return n.prefix + "claim." + strconv.Itoa(node)
}

// groupSubject names a group's subject: the name itself when it is made of
// letters, digits, '-' and '_', else its unpadded base64url form (a name may
// hold dots, wildcards or spaces, which subjects cannot).
func (n *Node) groupSubject(group string) string {
	plain := group != ""
	for i := 0; i < len(group) && plain; i++ {
		c := group[i]
		plain = c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	if group == "" {
		return n.prefix + "g.e" // a subject token cannot be empty
	}
	if plain {
		return n.prefix + "g.p." + group
	}
	return n.prefix + "g.b." + base64.RawURLEncoding.EncodeToString([]byte(group))
}
