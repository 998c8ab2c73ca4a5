package codec

import "testing"

func TestRaw(t *testing.T) {
	f := Raw()
	for _, in := range []string{"", "a", "hello\nworld\x00"} {
		frame, n, err := f.Next([]byte(in))
		if err != nil || n != len(in) || string(frame) != in {
			t.Fatalf("Next(%q) = %q, %d, %v", in, frame, n, err)
		}
	}
	out, err := f.Append([]byte("pre"), []byte("\n\x00"))
	if err != nil || string(out) != "pre\n\x00" {
		t.Fatalf("Append = %q, %v", out, err)
	}
	small, err := NewRaw(MaxFrame(2))
	if err != nil {
		t.Fatal(err)
	}
	// Raw frames follow the chunks read, so only whole input is checked.
	frames, rest, err := feed(t, small, false, []byte("abcde"))
	if err != nil || rest != 0 || !equalFrames(frames, strs("ab", "cd", "e")) {
		t.Fatalf("pieces: %q, %d, %v", frames, rest, err)
	}
}
