"""The Jupyter project's own kernel conformance suite (jupyter_kernel_test) against peft-nb.

Run by test/conformance/conformance.test.ts, which installs the kernelspec into a temporary
prefix and points JUPYTER_PATH at it; run by hand with
    JUPYTER_PATH=<prefix>/share/jupyter /usr/bin/python3 -m unittest test/conformance/test_peft_kernel.py
"""
import unittest

import jupyter_kernel_test


class PeftKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "peft-nb"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("something went wrong")'

    # tslab's language service: members of a known object, globals with a prefix.
    completion_samples = [
        {"text": "Math.ma", "matches": {"max"}},
        {"text": "const zebraStripes = 1; zebraStr", "matches": {"zebraStripes"}},
    ]

    complete_code_samples = ["1 + 1", "const x: number = 2;", "function f() {\n  return 1;\n}"]
    incomplete_code_samples = ["function f() {", "const a = [1, 2,", "if (true) {"]
    invalid_code_samples = ["const = 5;", "1 +* 2", "let let = ;"]

    code_page_something = "?Math.max"
    code_inspect_sample = "Math.max"

    code_generate_error = 'throw new Error("boom")'

    code_execute_result = [
        {"code": "6*7", "result": "42"},
        {"code": "[1, 2, 3].map((x: number) => x * 2)", "result": "[ 2, 4, 6 ]"},
        {"code": "const s: string = 'ab'; s.length", "result": "2"},
    ]
    code_history_pattern = "6?7"
    supported_history_operations = ("tail", "range", "search")

    code_display_data = [
        {"code": "display.html('<b>bold</b>')", "mime": "text/html"},
        {"code": "display.markdown('*it*')", "mime": "text/markdown"},
        {"code": "display({ a: 1 })", "mime": "text/plain"},
    ]

    code_clear_output = 'console.log("before"); clearOutput()'


if __name__ == "__main__":
    unittest.main()
