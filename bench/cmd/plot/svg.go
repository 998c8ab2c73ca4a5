package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
)

// Layout, in pixels of the SVG's own coordinates. The chart is 800 wide
// (wider only when the bars would get thinner than minBar), the width
// GitHub shows an image at in a rendered Markdown file.
const (
	width      = 800
	marginL    = 78  // y tick labels and the y axis title
	marginR    = 20  //
	plotH      = 280 // height of the plotting area
	maxBar     = 56  // widest bar
	minBar     = 22  // thinnest bar before the chart widens
	groupFill  = 0.8 // share of a scenario's slot its bars take
	charW      = 0.6 // average glyph width, in em, of sans-serif
	labelFont  = 11  // bar value labels
	minFont    = 8   // smallest value label before it turns vertical
	lineHeight = 16
)

// bar geometry of one chart, worked out once.
type layout struct {
	w, plotL, plotR, plotT, plotB float64
	groupW, barW                  float64
	top, step                     float64 // y axis top and tick step, in chart units
}

// valueLabel is how one bar's value label is drawn.
type valueLabel struct {
	text     string
	font     float64
	vertical bool
}

func (l valueLabel) height() float64 {
	if l.vertical {
		return textWidth(l.text, l.font) + 6
	}
	return l.font + 5
}

// textWidth estimates the width of s drawn at font size f.
func textWidth(s string, f float64) float64 {
	return float64(len([]rune(s))) * f * charW
}

// label returns the value label of b for a bar barW wide.
func (c *chart) label(b bar, barW float64) valueLabel {
	l := valueLabel{text: withUnit(b.Value, c.Unit), font: labelFont}
	room := barW + 6
	if w := textWidth(l.text, l.font); w > room {
		l.font = math.Floor(labelFont * room / w)
		if l.font < minFont {
			l.font, l.vertical = 10, true
		}
	}
	return l
}

// plan lays the chart out; header is the height taken by title, subtitle
// and legend.
func (c *chart) plan(header float64) layout {
	slots := 1
	for _, g := range c.Groups {
		slots = max(slots, len(g.Bars))
	}
	n := float64(len(c.Groups))
	l := layout{w: width, plotL: marginL, plotT: header}
	plotW := l.w - marginL - marginR
	l.barW = min(maxBar, plotW/n*groupFill/float64(slots))
	if l.barW < minBar {
		l.barW = minBar
		plotW = n * float64(slots) * minBar / groupFill
		l.w = plotW + marginL + marginR
	}
	l.plotR = l.plotL + plotW
	l.groupW = plotW / n
	l.plotB = l.plotT + plotH

	// The axis must reach every whisker with its label still inside.
	need := 0.0
	for _, g := range c.Groups {
		for _, b := range g.Bars {
			if b.Missing {
				continue
			}
			t := max(b.Value, b.Hi)
			room := plotH - c.label(b, l.barW).height()
			need = max(need, t*plotH/room)
		}
	}
	l.top, l.step = niceAxis(need)
	return l
}

// y returns the pixel row of value v.
func (l layout) y(v float64) float64 { return l.plotB - v/l.top*plotH }

// writeSVG draws c as a standalone SVG document: plain shapes and text, no
// script, no external font.
func (c *chart) writeSVG(w io.Writer) error {
	colors := colorsFor(c.Servers)
	lines := len(c.Subtitle)
	headerTop := 30.0 + float64(lines)*lineHeight + 8
	legendRows := c.legendRows(width - marginL - marginR)
	header := headerTop + float64(len(legendRows))*lineHeight + 18
	l := c.plan(header)
	height := l.plotB + 62

	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="sans-serif" font-size="12">`+"\n",
		num(l.w), num(height), num(l.w), num(height))
	fmt.Fprintf(&s, `<title>%s</title>`+"\n", esc(c.Title))
	fmt.Fprintf(&s, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	fmt.Fprintf(&s, `<text x="%d" y="22" font-size="16" font-weight="bold" fill="#111">%s</text>`+"\n", 12, esc(c.Title))
	for i, line := range c.Subtitle {
		fmt.Fprintf(&s, `<text x="12" y="%s" fill="#444">%s</text>`+"\n", num(40+float64(i)*lineHeight), esc(line))
	}

	// Legend: a swatch and the server's name, in rows.
	for r, row := range legendRows {
		x := float64(marginL)
		y := headerTop + float64(r)*lineHeight
		for _, srv := range row {
			fmt.Fprintf(&s, `<rect class="legend" data-server="%s" x="%s" y="%s" width="12" height="12" fill="%s"/>`+"\n",
				esc(srv), num(x), num(y), colors[srv])
			fmt.Fprintf(&s, `<text x="%s" y="%s" fill="#111">%s</text>`+"\n", num(x+16), num(y+10), esc(srv))
			x += legendWidth(srv)
		}
	}

	// Grid and y axis.
	for i := 0; float64(i)*l.step <= l.top+l.step/2; i++ {
		v := float64(i) * l.step
		y := l.y(v)
		stroke := "#e3e3e3"
		if v == 0 {
			stroke = "#333"
		}
		fmt.Fprintf(&s, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`+"\n", num(l.plotL), num(y), num(l.plotR), num(y), stroke)
		fmt.Fprintf(&s, `<text class="tick" x="%s" y="%s" text-anchor="end" fill="#333">%s</text>`+"\n", num(l.plotL-6), num(y+4), short(v))
	}
	fmt.Fprintf(&s, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333" stroke-width="1"/>`+"\n", num(l.plotL), num(l.plotT), num(l.plotL), num(l.plotB))
	cy := (l.plotT + l.plotB) / 2
	fmt.Fprintf(&s, `<text x="18" y="%s" text-anchor="middle" transform="rotate(-90 18 %s)" fill="#111">%s</text>`+"\n", num(cy), num(cy), esc(c.YLabel))

	// Bars, whiskers, value labels, scenario names.
	for gi, g := range c.Groups {
		center := l.plotL + (float64(gi)+0.5)*l.groupW
		x0 := center - float64(len(g.Bars))*l.barW/2
		for bi, b := range g.Bars {
			c.writeBar(&s, l, g.Scenario, b, x0+float64(bi)*l.barW, colors[b.Server])
		}
		writeScenarioName(&s, g.Scenario, center, l.plotB+18, l.groupW)
	}
	fmt.Fprintf(&s, `<text x="%s" y="%s" text-anchor="middle" fill="#111">scenario</text>`+"\n", num((l.plotL+l.plotR)/2), num(l.plotB+50))
	s.WriteString("</svg>\n")
	_, err := io.WriteString(w, s.String())
	return err
}

// writeBar draws one bar in the slot starting at x, with its whisker and
// value label, or "n/a" when the server has no value.
func (c *chart) writeBar(s *strings.Builder, l layout, scenario string, b bar, x float64, color string) {
	mid := x + l.barW/2
	if b.Missing {
		fmt.Fprintf(s, `<text class="missing" data-server="%s" data-scenario="%s" x="%s" y="%s" text-anchor="middle" font-size="10" fill="#777">n/a</text>`+"\n",
			esc(b.Server), esc(scenario), num(mid), num(l.plotB-4))
		return
	}
	h := b.Value / l.top * plotH
	fmt.Fprintf(s, `<rect class="bar" data-server="%s" data-scenario="%s" data-value="%s" x="%s" y="%s" width="%s" height="%s" fill="%s">`,
		esc(b.Server), esc(scenario), fmt.Sprint(b.Value), num(x+1), num(l.plotB-h), num(l.barW-2), num(h), color)
	tip := fmt.Sprintf("%s, %s: %s (median of %d round%s; min %s, max %s)", b.Server, scenario, withUnit(b.Value, c.Unit),
		b.Rounds, plural(b.Rounds), withUnit(b.Lo, c.Unit), withUnit(b.Hi, c.Unit))
	if b.FailedRound > 0 {
		tip += fmt.Sprintf("; %d round%s failed", b.FailedRound, plural(b.FailedRound))
	}
	fmt.Fprintf(s, `<title>%s</title></rect>`+"\n", esc(tip))
	top := l.y(b.Value)
	if b.Hi > b.Lo {
		capW := min(8, l.barW/3)
		yl, yh := l.y(b.Lo), l.y(b.Hi)
		fmt.Fprintf(s, `<g class="whisker" stroke="#222" stroke-width="1.2"><line x1="%s" y1="%s" x2="%s" y2="%s"/>`,
			num(mid), num(yl), num(mid), num(yh))
		fmt.Fprintf(s, `<line x1="%s" y1="%s" x2="%s" y2="%s"/><line x1="%s" y1="%s" x2="%s" y2="%s"/></g>`+"\n",
			num(mid-capW), num(yl), num(mid+capW), num(yl), num(mid-capW), num(yh), num(mid+capW), num(yh))
		top = min(top, yh)
	}
	lab := c.label(b, l.barW)
	if lab.vertical {
		fmt.Fprintf(s, `<text class="value" x="%s" y="%s" font-size="%s" fill="#111" transform="rotate(-90 %s %s)" dominant-baseline="middle">%s</text>`+"\n",
			num(mid), num(top-4), num(lab.font), num(mid), num(top-4), esc(lab.text))
		return
	}
	fmt.Fprintf(s, `<text class="value" x="%s" y="%s" font-size="%s" text-anchor="middle" fill="#111">%s</text>`+"\n",
		num(mid), num(top-4), num(lab.font), esc(lab.text))
}

// writeScenarioName writes a scenario's name under its bars, on two lines
// (broken at a hyphen) when one line would not fit its slot.
func writeScenarioName(s *strings.Builder, name string, x, y, slot float64) {
	first, second := name, ""
	if textWidth(name, 12) > slot-6 {
		best := -1
		for i, r := range name {
			if r == '-' && (best < 0 || math.Abs(float64(i)-float64(len(name))/2) < math.Abs(float64(best)-float64(len(name))/2)) {
				best = i
			}
		}
		if best > 0 {
			first, second = name[:best+1], name[best+1:]
		}
	}
	fmt.Fprintf(s, `<text class="scenario" x="%s" y="%s" text-anchor="middle" fill="#111">%s`, num(x), num(y), esc(first))
	if second != "" {
		fmt.Fprintf(s, `<tspan x="%s" dy="14">%s</tspan>`, num(x), esc(second))
	}
	s.WriteString("</text>\n")
}

// legendRows splits the legend entries into rows that fit in w pixels.
func (c *chart) legendRows(w float64) [][]string {
	var rows [][]string
	var row []string
	used := 0.0
	for _, srv := range c.Servers {
		lw := legendWidth(srv)
		if len(row) > 0 && used+lw > w {
			rows, row, used = append(rows, row), nil, 0
		}
		row = append(row, srv)
		used += lw
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return rows
}

// legendWidth is the room one legend entry takes: swatch, name and gap.
func legendWidth(server string) float64 { return 16 + textWidth(server, 12) + 22 }

// num formats a coordinate with at most two decimals.
func num(v float64) string { return trimZeros(fmt.Sprintf("%.2f", v)) }

// esc escapes s for XML text and attribute values.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
