package load

import (
	"errors"
	"slices"
	"testing"
)

func TestParseSources(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr error
	}{
		{name: "empty", in: ""},
		{name: "one", in: "127.0.0.2", want: []string{"127.0.0.2"}},
		{name: "range and list", in: "127.0.0.2-127.0.0.4, 127.0.1.1",
			want: []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.1.1"}},
		{name: "ipv6 loopback", in: "::1", want: []string{"::1"}},
		{name: "backwards", in: "127.0.0.9-127.0.0.2", wantErr: ErrBadConfig},
		{name: "garbage", in: "127.0.0.x", wantErr: ErrBadConfig},
		{name: "leaves loopback", in: "126.255.255.255-127.0.0.1", wantErr: ErrNotLoopback},
		{name: "private", in: "192.168.1.1", wantErr: ErrNotLoopback},
		{name: "too many", in: "127.0.0.0-127.0.255.255", wantErr: ErrBadConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSources(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, a := range got {
				s = append(s, a.String())
			}
			if !slices.Equal(s, tt.want) {
				t.Fatalf("got %v, want %v", s, tt.want)
			}
		})
	}
}
