//go:build ignore

// genlogo draws quire's logo: a ring (the "q" of quire, and a goroutine's loop) with a tail,
// on Go's blue, as PNG at 32x32 and 64x64 and as SVG. Run: go run genlogo.go
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
)

var (
	bg   = color.RGBA{0x00, 0x7d, 0x9c, 0xff} // Go blue
	ink  = color.RGBA{0xff, 0xff, 0xff, 0xff}
	dots = color.RGBA{0xfd, 0xdd, 0x00, 0xff}
)

// shade returns the colour of pixel (x, y) of an n x n logo, averaged over 4x4 samples.
func shade(n int, x, y int) color.RGBA {
	s := float64(n)
	var r, g, b, a float64
	for sy := 0; sy < 4; sy++ {
		for sx := 0; sx < 4; sx++ {
			u := (float64(x) + (float64(sx)+0.5)/4) / s
			v := (float64(y) + (float64(sy)+0.5)/4) / s
			c, ok := at(u, v)
			if !ok {
				continue
			}
			r += float64(c.R)
			g += float64(c.G)
			b += float64(c.B)
			a += 255
		}
	}
	if a == 0 {
		return color.RGBA{}
	}
	// Samples outside the shape add nothing, so the averages are already alpha-premultiplied,
	// which is what color.RGBA holds.
	const k = 16.0
	return color.RGBA{uint8(r / k), uint8(g / k), uint8(b / k), uint8(a / k)}
}

// at reports the colour of the logo at (u, v) in the unit square.
func at(u, v float64) (color.RGBA, bool) {
	// rounded square background
	const rad = 0.18
	dx := math.Max(math.Max(rad-u, u-(1-rad)), 0)
	dy := math.Max(math.Max(rad-v, v-(1-rad)), 0)
	if dx*dx+dy*dy > rad*rad {
		return color.RGBA{}, false
	}
	cx, cy := 0.46, 0.46
	d := math.Hypot(u-cx, v-cy)
	if d > 0.20 && d < 0.31 {
		return ink, true
	}
	// tail of the q: a bar from the ring's lower right going down
	if u > 0.62 && u < 0.73 && v > 0.46 && v < 0.86 {
		return ink, true
	}
	// three dots inside: goroutines
	for i := 0; i < 3; i++ {
		px := cx - 0.08 + 0.08*float64(i)
		if math.Hypot(u-px, v-cy) < 0.03 {
			return dots, true
		}
	}
	return bg, true
}

func main() {
	for _, n := range []int{32, 64} {
		img := image.NewRGBA(image.Rect(0, 0, n, n))
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				img.SetRGBA(x, y, shade(n, x, y))
			}
		}
		f, err := os.Create(fmt.Sprintf("logo/logo-%dx%d.png", n, n))
		if err != nil {
			panic(err)
		}
		if err := png.Encode(f, img); err != nil {
			panic(err)
		}
		f.Close()
	}
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="64" height="64">
  <rect width="100" height="100" rx="18" fill="#007d9c"/>
  <circle cx="46" cy="46" r="25.5" fill="none" stroke="#fff" stroke-width="11"/>
  <rect x="62" y="46" width="11" height="40" fill="#fff"/>
  <circle cx="38" cy="46" r="3" fill="#fddd00"/>
  <circle cx="46" cy="46" r="3" fill="#fddd00"/>
  <circle cx="54" cy="46" r="3" fill="#fddd00"/>
</svg>
`
	if err := os.WriteFile("logo/logo-svg.svg", []byte(svg), 0o644); err != nil {
		panic(err)
	}
}
