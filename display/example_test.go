package display_test

import (
	"fmt"

	"github.com/quire-go/quire/display"
)

// Celsius renders itself: text everywhere, coloured HTML in a notebook.
type Celsius float64

func (c Celsius) String() string { return fmt.Sprintf("%.1f °C", float64(c)) }

func (c Celsius) HTML() string {
	color := "steelblue"
	if c > 30 {
		color = "crimson"
	}
	return fmt.Sprintf(`<b style="color:%s">%s</b>`, color, display.EscapeHTML(c.String()))
}

func ExampleRender() {
	b := display.Render(Celsius(35))
	fmt.Println(b["text/plain"])
	fmt.Println(b["text/html"])
	// Output:
	// 35.0 °C
	// <b style="color:crimson">35.0 °C</b>
}

func ExampleShow() {
	// Without a Publisher (outside a notebook), Show prints the text form.
	type city struct {
		Name string
		Temp Celsius
	}
	display.Show([]city{{"Oslo", 4}, {"Cairo", 35}}, display.Markdown("**done**"))
	// Output:
	// Name   Temp
	// -----  -------
	// Oslo   4.0 °C
	// Cairo  35.0 °C
	// **done**
}

func ExampleProgress() {
	// In a notebook the bar is one output updated in place; here, each update is a line.
	bar := display.Progress(3, "steps")
	bar.Add(3)
	bar.Done()
	fmt.Println(bar.Count())
}

func ExampleMIME() {
	b := display.Render(display.MIME{"text/html": "<i>hi</i>", "text/plain": "hi"})
	fmt.Println(b["text/html"], b["text/plain"])
	// Output: <i>hi</i> hi
}
