package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shoalrt/shoal/actor"
)

// The chat page in headless Chromium, driven with chromedp: what a person
// sees in the page (#log, #members, #status) against what TCP clients say.

// browserLife bounds a test's browser as a whole: its start, and every tab.
const browserLife = 3 * time.Minute

// newBrowser starts a headless Chromium (a browser of its own, with a
// temporary profile) that is closed when the test ends; flags are added
// to the allocator's. It returns the browser's context, for newTab.
func newBrowser(t *testing.T, flags ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := findChromium(t)
	dir, err := os.MkdirTemp("", "chat-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(dir), chromedp.WindowSize(1000, 640))
	opts = append(opts, flags...)
	life, stop := context.WithTimeout(context.Background(), browserLife)
	actx, cancelAlloc := chromedp.NewExecAllocator(life, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser() // closes the browser and waits for it
		cancelAlloc()
		stop()
		// Chromium's helpers may write into the profile a moment after the
		// browser is gone: retry a few times, then leave it to the OS.
		for range 20 {
			if os.RemoveAll(dir) == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	// The first action starts the browser; it must run on bctx itself (the
	// browser lives as long as the context of its start), bounded by life.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return bctx
}

// tab is one page of the chat in the browser.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context
}

// newTab opens a blank tab in a browser context of its own (separate
// cookies and storage, as another person's browser), closed at the test's
// end.
func newTab(t *testing.T, browser context.Context, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // creates the target, bounded by the browser's life
		t.Fatalf("%s: new tab: %v", name, err)
	}
	return &tab{t, name, ctx}
}

// do runs actions in the tab, failing the test after patience.
func (p *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, patience)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
}

// eval evaluates a JavaScript expression in the tab, decoded into T.
func eval[T any](p *tab, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, patience)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, expr, err)
	}
	return v
}

// open loads the chat page at url in the tab.
func (p *tab) open(url string) {
	p.t.Helper()
	p.do(chromedp.Navigate(url))
}

// waitFor polls a JavaScript expression until it is true, for at most
// limit; then it fails the test with what the page shows.
func (p *tab) waitFor(what, expr string, limit time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(p.ctx, patience)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: waited %v for %s (last error %v); the page shows:\n%s", p.name, limit, what, err, p.dump())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// dump is what the page shows, for failures.
func (p *tab) dump() string {
	ctx, cancel := context.WithTimeout(p.ctx, patience)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`"status: " + document.getElementById("status").textContent +
		"\nmembers: " + [...document.querySelectorAll("#members li")].map((e) => e.textContent).join(", ") +
		"\nlog:\n" + [...document.getElementById("log").children].map((e) => "  " + e.className + " " + (e.dataset.pos ?? "") + " " + e.textContent).join("\n")`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// ready waits until the page has joined its first room.
func (p *tab) ready() {
	p.t.Helper()
	p.waitFor("the first join", `document.body.dataset.ready === "1"`, patience)
}

// pageLine is one element of #log .line.
type pageLine struct {
	Pos     string `json:"pos"`
	From    string `json:"from"`
	Text    string `json:"text"`
	Pending bool   `json:"pending"`
}

// linesJS lists the #log .line elements: the line's text is the text node
// after the <from> span.
const linesJS = `[...document.querySelectorAll("#log .line")].map((e) => ({
	pos: e.dataset.pos ?? "", from: e.dataset.from ?? "",
	text: [...e.childNodes].slice(1).map((n) => n.textContent).join(""),
	pending: e.classList.contains("pending"),
}))`

func (p *tab) lines() []pageLine {
	p.t.Helper()
	return eval[[]pageLine](p, linesJS)
}

// waitLines waits until the page shows n lines, none of them pending,
// and returns them.
func (p *tab) waitLines(n int) []pageLine {
	p.t.Helper()
	p.waitFor(fmt.Sprint(n, " acknowledged lines"),
		`(() => { const l = `+linesJS+`; return l.length >= `+strconv.Itoa(n)+` && l.every((x) => !x.pending && x.pos); })()`, patience)
	return p.lines()
}

// members are the nicks of #members, as shown.
func (p *tab) members() string {
	p.t.Helper()
	return eval[string](p, `[...document.querySelectorAll("#members li")].map((e) => e.textContent).join(",")`)
}

// waitMembers waits until #members lists want (comma-separated).
func (p *tab) waitMembers(want string) {
	p.t.Helper()
	p.waitFor("members "+want, `[...document.querySelectorAll("#members li")].map((e) => e.textContent).join(",") === `+strconv.Quote(want), patience)
}

// say types text into #text and presses Enter, as a person does.
func (p *tab) say(text string) {
	p.t.Helper()
	p.do(chromedp.SendKeys(chromedp.ID("text"), text+"\n"))
}

// said is a line as the page shows it: "from: text".
func said(ls []pageLine) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.From+": "+l.Text)
	}
	return out
}

// inOrder checks that every line has a position, all in one epoch and
// strictly increasing: each line once, in the order of the room.
func inOrder(t *testing.T, who string, ls []pageLine) {
	t.Helper()
	var last actor.Position
	for i, l := range ls {
		p, err := actor.ParsePosition(l.Pos)
		if err != nil {
			t.Fatalf("%s: line %d %q has position %q: %v", who, i, l.Text, l.Pos, err)
		}
		if i > 0 && (p.Epoch != last.Epoch || p.Seq <= last.Seq) {
			t.Fatalf("%s: line %d %q at %s after %s: not in order, or twice", who, i, l.Text, l.Pos, ls[i-1].Pos)
		}
		last = p
	}
}

// chatURL is the page of s that joins room as nick at once.
func chatURL(s server, room, nick string) string {
	return "http://" + s.web.String() + "/#room=" + room + "&name=" + nick
}

// Two people in the chat page and one in nc: the pages show the room's
// history as they join, what one page sends the other shows (and the TCP
// member hears), and the member lists agree.
func TestChatPagesTalk(t *testing.T) {
	browser := newBrowser(t)
	s := standalone(t)

	tom := dialTCP(t, s.tcp.String())
	tom.login("tom")
	tom.send("/join lobby")
	tom.until("* in lobby: tom")
	history := []string{
		"morning all, the build is green again",
		"the flaky resume test was a race in the shard's input buffer",
		"fix is on main",
	}
	for _, l := range history {
		tom.send(l)
		tom.expect("[lobby] <tom> " + l)
	}

	ann, bob := newTab(t, browser, "ann"), newTab(t, browser, "bob")
	ann.open(chatURL(s, "lobby", "ann"))
	ann.ready()
	tom.until("* ann joined lobby")
	bob.open(chatURL(s, "lobby", "bob"))
	bob.ready()
	tom.until("* bob joined lobby")

	var want []string
	for _, l := range history {
		want = append(want, "tom: "+l)
	}
	for _, p := range []*tab{ann, bob} {
		if got := said(p.waitLines(len(history))); !slices.Equal(got, want) {
			t.Fatalf("%s's page shows the history %q, want %q", p.name, got, want)
		}
	}
	// Two sessions, not one: each page has its own.
	if a, b := eval[string](ann, `chat.client.session`), eval[string](bob, `chat.client.session`); a == b || len(a) < 16 {
		t.Fatalf("the pages' sessions %q and %q", a, b)
	}

	ann.say("thanks tom! is the cluster demo still on for three?")
	want = append(want, "ann: thanks tom! is the cluster demo still on for three?")
	tom.expect("[lobby] <ann> thanks tom! is the cluster demo still on for three?")
	bob.say("yes, I'll bring the two-node setup")
	want = append(want, "bob: yes, I'll bring the two-node setup")
	tom.expect("[lobby] <bob> yes, I'll bring the two-node setup")
	tom.send("great, I'll kill -9 one of them halfway through")
	want = append(want, "tom: great, I'll kill -9 one of them halfway through")
	tom.expect("[lobby] <tom> great, I'll kill -9 one of them halfway through")
	ann.say("ha, then the pages had better come back by themselves")
	want = append(want, "ann: ha, then the pages had better come back by themselves")
	tom.expect("[lobby] <ann> ha, then the pages had better come back by themselves")
	bob.say("they do: same session, and they join from the last line they saw")
	want = append(want, "bob: they do: same session, and they join from the last line they saw")
	tom.expect("[lobby] <bob> they do: same session, and they join from the last line they saw")
	// A private message, typed as a command in the page.
	bob.say("/msg ann can you take the questions at the end?")
	ann.waitFor("bob's private message", `[...document.querySelectorAll("#private li")].map((e) => e.textContent).join("|") === "bob: can you take the questions at the end?"`, patience)
	bob.waitFor("the private message sent", `[...document.querySelectorAll("#private li")].map((e) => e.textContent).join("|") === "→ ann: can you take the questions at the end?"`, patience)

	for _, p := range []*tab{ann, bob} {
		ls := p.waitLines(len(want))
		if got := said(ls); !slices.Equal(got, want) {
			t.Fatalf("%s's page shows %q, want %q", p.name, got, want)
		}
		inOrder(t, p.name, ls)
		p.waitMembers("ann,bob,tom")
	}
	// A page marks its own lines, and only those.
	if got := eval[[]string](ann, `[...document.querySelectorAll("#log .line.mine")].map((e) => e.dataset.from)`); !slices.Equal(got, []string{"ann", "ann"}) {
		t.Fatalf("ann's page marks the lines of %q as hers", got)
	}

	if os.Getenv("SHOAL_SCREENSHOT") == "1" {
		ann.do(chromedp.EmulateViewport(1000, 640))
		ann.waitFor("the layout at 1000x640", `innerWidth === 1000 && innerHeight === 640`, patience)
		ctx, cancel := context.WithTimeout(ann.ctx, patience)
		defer cancel()
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join("..", "..", "docs", "img", "chat.png")
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", out, len(png))
	}
}

// evil is a line that would run script if the page parsed it as HTML.
const evil = `<script>window.pwned=1</script><img src=x onerror="window.pwned=2">`

// What people say is text, never markup: a line (in the history and
// live) and a private message holding HTML are shown literally, create no
// element and run nothing.
func TestChatPageEscapes(t *testing.T) {
	browser := newBrowser(t)
	s := standalone(t)

	eve := dialTCP(t, s.tcp.String())
	eve.send("/nick <b>eve</b>") // a nick can't hold markup at all
	eve.expect("error: a nick is letters, digits, _ - and . (starting with a letter or digit)")
	eve.login("eve")
	eve.send("/join lobby")
	eve.until("* in lobby: eve")
	eve.send(evil)
	eve.expect("[lobby] <eve> " + evil)

	ann := newTab(t, browser, "ann")
	ann.open(chatURL(s, "lobby", "ann"))
	ann.ready()
	eve.until("* ann joined lobby")
	live := `<b onmouseover="window.pwned=3">bold?</b> &amp; <iframe src="javascript:window.parent.pwned=4"></iframe>`
	eve.send(live)
	eve.expect("[lobby] <eve> " + live)
	eve.send("/msg ann " + evil)
	eve.expect("-> ann: " + evil)
	eve.send("that's all")
	eve.expect("[lobby] <eve> that's all")

	ls := ann.waitLines(3)
	if got, want := said(ls), []string{"eve: " + evil, "eve: " + live, "eve: that's all"}; !slices.Equal(got, want) {
		t.Fatalf("the page shows %q, want %q", got, want)
	}
	ann.waitFor("the private message", `document.querySelectorAll("#private li").length === 1`, patience)
	if got := eval[string](ann, `document.querySelector("#private li").textContent`); got != "eve: "+evil {
		t.Fatalf("the private message shows %q", got)
	}
	if got := eval[string](ann, `document.querySelector("#log .line").textContent`); !strings.Contains(got, "<script>") {
		t.Fatalf("the line's textContent is %q, without <script>", got)
	}
	// Nothing but the page's own spans in the log and the private list.
	if got := eval[[]string](ann, `[...document.querySelectorAll("#log *, #private *")].map((e) => e.tagName.toLowerCase()).filter((n) => n !== "div" && n !== "span" && n !== "li")`); len(got) != 0 {
		t.Fatalf("the page made elements %q from what was said", got)
	}
	if got := eval[string](ann, `typeof window.pwned`); got != "undefined" {
		t.Fatalf("window.pwned is a %s: a line ran as script", got)
	}
}

// freePorts returns n TCP ports of 127.0.0.1 that were free a moment ago.
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var ports []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// A server restart with two pages open loses and doubles nothing: the
// pages reconnect by themselves, join from the last line they saw, and a
// line typed while the server was down is delivered once when it is back.
// It runs on node 1 of a cluster with JetStream in a directory kept across
// the restart, at fixed ports, so the restarted server has the rooms'
// history and the pages find it at the same address.
func TestChatPagesSurviveRestart(t *testing.T) {
	browser := newBrowser(t)
	// The tabs exist before the server does, so that the server's check
	// for leaked goroutines at its stop ignores the browser's.
	ann, bob := newTab(t, browser, "ann"), newTab(t, browser, "bob")
	ports := freePorts(t, 3)
	cfg := config{web: "127.0.0.1:" + ports[0], tcp: "127.0.0.1:" + ports[1], shards: 2, node: 1,
		natsListen: "127.0.0.1:" + ports[2], natsData: t.TempDir(), heartbeat: 200 * time.Millisecond, limits: testLimits}
	s := startNode(t, cfg)

	tom := dialTCP(t, s.tcp.String())
	tom.login("tom")
	tom.send("/join lobby")
	tom.until("* in lobby: tom")
	var want []string
	tomSays := func(c *tcpClient, l string) {
		t.Helper()
		c.send(l)
		c.until("[lobby] <tom> " + l)
		want = append(want, "tom: "+l)
	}
	tomSays(tom, "before the restart, one")
	tomSays(tom, "before the restart, two")

	ann.open(chatURL(s, "lobby", "ann"))
	bob.open(chatURL(s, "lobby", "bob"))
	ann.ready()
	bob.ready()
	ann.say("ann, before")
	tom.until("[lobby] <ann> ann, before")
	bob.say("bob, before")
	tom.until("[lobby] <bob> bob, before")
	want = append(want, "ann: ann, before", "bob: bob, before")
	for _, p := range []*tab{ann, bob} {
		if got := said(p.waitLines(len(want))); !slices.Equal(got, want) {
			t.Fatalf("%s's page shows %q, want %q", p.name, got, want)
		}
	}
	before := ann.lines()

	tom.c.Close()
	s.stop()
	for _, p := range []*tab{ann, bob} {
		p.waitFor("the page to notice", `document.getElementById("status").className === "wait"`, patience)
	}
	ann.say("typed while the server was down")
	want = append(want, "ann: typed while the server was down")
	ann.waitFor("the line pending", `document.querySelectorAll("#log .line.pending").length === 1`, patience)

	s = startNode(t, cfg)
	// The reconnect delay doubles per failed attempt (up to 10 s): allow
	// for a few more of them than patience does.
	for _, p := range []*tab{ann, bob} {
		p.waitFor("the reconnect", `document.getElementById("status").className === "ok"`, 3*patience)
	}
	// Once acknowledged, the queued line is in the room's history, after
	// everything said before the restart.
	ann.waitFor("the queued line acknowledged", `document.querySelectorAll("#log .line.pending").length === 0`, patience)
	tom = dialTCP(t, s.tcp.String())
	tom.login("tom")
	tom.send("/join lobby")
	var replayed []string
	for _, l := range tom.until("* in lobby: ann, bob, tom") {
		if rest, ok := strings.CutPrefix(l, "[lobby] <"); ok {
			from, text, _ := strings.Cut(rest, "> ")
			replayed = append(replayed, from+": "+text)
		}
	}
	if !slices.Equal(replayed, want) {
		t.Fatalf("the restarted server replays %q, want %q", replayed, want)
	}
	tomSays(tom, "after the restart, one")
	tomSays(tom, "after the restart, two")
	tomSays(tom, "and that's all")

	for _, p := range []*tab{ann, bob} {
		ls := p.waitLines(len(want))
		if got := said(ls); !slices.Equal(got, want) {
			t.Fatalf("%s's page shows %q, want %q\n%s", p.name, got, want, p.dump())
		}
		inOrder(t, p.name, ls)
		p.waitMembers("ann,bob,tom")
	}
	// The lines from before kept their positions: the history survived.
	if after := ann.lines(); !slices.Equal(after[:len(before)], before) {
		t.Fatalf("ann's lines from before the restart were %v, now %v", before, after[:len(before)])
	}
}
