"""jupyter_kernel_test suite against the quire kernel with the fake test backend.

TestJupyterKernelTest runs it with JUPYTER_PATH pointing at a kernelspec "quirefake" whose argv
is the Go test binary in kernel-helper mode.
"""
import unittest

import jupyter_kernel_test


class QuireFakeKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "quirefake"
    language_name = "fake"
    file_extension = ".fake"
    code_hello_world = "print hello, world"
    code_stderr = "eprint oops"
    completion_samples = [{"text": "fmt.Pr", "matches": {"fmt.Println", "fmt.Printf"}}]
    complete_code_samples = ["x := 1"]
    incomplete_code_samples = ["func f() {"]
    code_generate_error = "fail boom"
    code_execute_result = [{"code": "value 7", "result": "7"}]
    code_display_data = [{"code": "display", "mime": "text/plain"}]
    code_history_pattern = "value 7"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "fmt"
    code_clear_output = "display"


if __name__ == "__main__":
    unittest.main(verbosity=2)
