package main

// serverColors gives each server of cmd/compare a fixed colour, the same in
// every chart (Okabe–Ito palette, distinguishable with the common colour
// vision deficiencies): Shoal blue, gnet orange, the Go standard library
// baselines green, nbio reddish purple; variants of a server take a lighter
// or darker shade.
var serverColors = map[string]string{
	"shoal":       "#0072B2",
	"shoal-ws":    "#0072B2",
	"shoal-bcast": "#56B4E9",
	"gnet":        "#E69F00",
	"gnet-ws":     "#E69F00",
	"gnet-naive":  "#D55E00",
	"std":         "#009E73",
	"hub":         "#009E73",
	"shoal-tls":   "#0072B2",
	"std-tls":     "#009E73",
	"nbio-tls":    "#CC79A7",
}

// spareColors are given, in legend order, to servers not in serverColors.
var spareColors = []string{"#CC79A7", "#7F7F7F", "#8C564B", "#F0E442", "#000000"}

// colorsFor returns the colour of every server in servers: its fixed one,
// else the next spare one not already used in this chart.
func colorsFor(servers []string) map[string]string {
	out := make(map[string]string, len(servers))
	used := map[string]bool{}
	for _, s := range servers {
		if c, ok := serverColors[s]; ok {
			out[s] = c
			used[c] = true
		}
	}
	next := 0
	for _, s := range servers {
		if _, ok := out[s]; ok {
			continue
		}
		c := spareColors[next%len(spareColors)]
		for i := 0; used[c] && i < len(spareColors); i++ {
			next++
			c = spareColors[next%len(spareColors)]
		}
		next++
		out[s] = c
		used[c] = true
	}
	return out
}
