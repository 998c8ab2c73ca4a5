package main

import (
	"math"
	"strconv"
	"strings"
)

// short formats v in at most about four characters: 0.95, 4.2, 87, 5467,
// 36.6k, 11.9M (trailing zeros dropped).
func short(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a < 1:
		return trimZeros(strconv.FormatFloat(v, 'f', 2, 64))
	case a < 10:
		return trimZeros(strconv.FormatFloat(v, 'f', 1, 64))
	case a < 1e4:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a < 1e6:
		return sig3(v/1e3) + "k"
	case a < 1e9:
		return sig3(v/1e6) + "M"
	}
	return sig3(v/1e9) + "G"
}

// sig3 formats v (1 <= |v| < 1000) with three significant digits, trailing
// zeros dropped.
func sig3(v float64) string {
	a := math.Abs(v)
	prec := 0
	switch {
	case a < 9.995:
		prec = 2
	case a < 99.95:
		prec = 1
	}
	return trimZeros(strconv.FormatFloat(v, 'f', prec, 64))
}

func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// withUnit is a bar label: the short form of v and its unit, if any.
func withUnit(v float64, unit string) string {
	if unit == "" {
		return short(v)
	}
	return short(v) + " " + unit
}

// niceAxis returns the top of a zero-based axis that reaches at least need,
// and its tick step: a step of 1, 2, 2.5 or 5 times a power of ten giving
// four to eight ticks.
func niceAxis(need float64) (top, step float64) {
	if need <= 0 || math.IsNaN(need) || math.IsInf(need, 0) {
		return 1, 0.2
	}
	raw := need / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * mag
	for _, f := range []float64{1, 2, 2.5, 5} {
		if f*mag >= raw {
			step = f * mag
			break
		}
	}
	top = math.Ceil(need/step-1e-9) * step
	return top, step
}
