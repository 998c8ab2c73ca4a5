package shoaljs

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"testing"
)

// The embedded bytes are the file's.
func TestModuleIsTheFile(t *testing.T) {
	b, err := os.ReadFile("shoal.js")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, Module) {
		t.Fatal("Module differs from shoal.js")
	}
}

// shoal.d.ts declares every function and class shoal.js exports, and every
// public method and getter of the Client class: a test that fails when the
// two drift apart.
func TestDeclarationsMatchModule(t *testing.T) {
	js, err := os.ReadFile("shoal.js")
	if err != nil {
		t.Fatal(err)
	}
	dts, err := os.ReadFile("shoal.d.ts")
	if err != nil {
		t.Fatal(err)
	}
	exports := regexp.MustCompile(`(?m)^export (?:async )?(function|class) ([A-Za-z_$][\w$]*)`).FindAllSubmatch(js, -1)
	if len(exports) < 3 {
		t.Fatalf("found %d exports in shoal.js: the pattern no longer fits the file", len(exports))
	}
	for _, m := range exports {
		kind, name := string(m[1]), string(m[2])
		decl := regexp.MustCompile(`(?m)^export (?:declare )?` + kind + ` ` + regexp.QuoteMeta(name) + `\b`)
		if !decl.Match(dts) {
			t.Errorf("shoal.js exports %s %s, shoal.d.ts does not declare it", kind, name)
		}
	}
	// The Client class's members: its body runs from "export class Client"
	// to the closing brace at the start of a line.
	body := regexp.MustCompile(`(?s)\nexport class Client \{\n(.*?)\n\}\n`).FindSubmatch(js)
	if body == nil {
		t.Fatal("no class Client in shoal.js")
	}
	dbody := regexp.MustCompile(`(?s)\nexport class Client \{\n(.*?)\n\}\n`).FindSubmatch(dts)
	if dbody == nil {
		t.Fatal("no class Client in shoal.d.ts")
	}
	members := regexp.MustCompile(`(?m)^  (?:get )?([a-zA-Z$][\w$]*)\(`).FindAllSubmatch(body[1], -1)
	if len(members) < 8 {
		t.Fatalf("found %d members of Client: the pattern no longer fits the file", len(members))
	}
	for _, m := range members {
		name := string(m[1])
		if !regexp.MustCompile(`(?m)^  (?:readonly )?` + regexp.QuoteMeta(name) + `\b`).Match(dbody[1]) {
			t.Errorf("Client.%s is in shoal.js, not in shoal.d.ts", name)
		}
	}
	// Fields set in the constructor that are public (no underscore).
	fields := regexp.MustCompile(`(?m)^    this\.([a-zA-Z$][\w$]*) = `).FindAllSubmatch(body[1], -1)
	for _, m := range fields {
		name := string(m[1])
		if !regexp.MustCompile(`(?m)^  readonly ` + regexp.QuoteMeta(name) + `\b`).Match(dbody[1]) {
			t.Errorf("Client.%s is set in shoal.js, not declared in shoal.d.ts", name)
		}
	}
}

func TestHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Path, nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != ContentType || !bytes.Equal(rec.Body.Bytes(), Module) {
		t.Fatalf("got %d %q, %d bytes", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
	}
}
