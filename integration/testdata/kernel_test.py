"""jupyter_kernel_test's protocol conformance suite, with every field that applies to Go.

Run by integration/jupyter_test.go against a kernelspec named by QUIRE_KERNEL_NAME (default
"quire") found through JUPYTER_DATA_DIR / JUPYTER_PATH.
"""

import os
import unittest

import jupyter_kernel_test as jkt


class QuireKernelTests(jkt.KernelTests):
    kernel_name = os.environ.get("QUIRE_KERNEL_NAME", "quire")

    language_name = "go"
    file_extension = ".go"

    code_hello_world = 'import "fmt"\nfmt.Println("hello, world")'
    code_stderr = 'import (\n\t"fmt"\n\t"os"\n)\nfmt.Fprintln(os.Stderr, "to stderr")'

    completion_samples = [
        # Matches are member names; cursor_start points after the dot.
        {"text": "fmt.Prin", "matches": {"Print", "Printf", "Println"}},
        {"text": "strings.ToUp", "matches": {"ToUpper", "ToUpperSpecial"}},
    ]

    complete_code_samples = ["1+1", "x := 1", "func f() int { return 1 }", 'import "fmt"']
    incomplete_code_samples = ["func f() int {", "x := (1 +", "for i := 0; i < 3; i++ {"]
    invalid_code_samples = ["x := )", "func ) {"]

    code_page_something = "fmt.Println?"

    code_generate_error = 'panic("boom")'

    code_execute_result = [
        {"code": "6*7", "result": "42"},
        {"code": '"go" + "pher"', "result": '"gopher"'},
        {"code": "x := 12\nx * 2", "result": "24"},
    ]

    code_display_data = [
        {"code": 'import "github.com/quire-go/quire/display"\ndisplay.Show(display.HTML("<b>hi</b>"))', "mime": "text/html"},
        {"code": 'import "github.com/quire-go/quire/display"\ndisplay.Show(display.SVG(`<svg xmlns="http://www.w3.org/2000/svg"/>`))', "mime": "image/svg+xml"},
    ]

    code_history_pattern = "6*7"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "fmt.Println"

    code_clear_output = 'import "github.com/quire-go/quire/display"\ndisplay.Clear(false)'


if __name__ == "__main__":
    unittest.main()
