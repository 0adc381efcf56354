"""Spec text cannot inject anything into any output.

An injection corpus (TeX primitives that read, write, loop or redefine: `\\input{/etc/passwd}`,
`\\openout`, `\\write18`, `\\loop`, `\\def`, `\\catcode`, `^^5c`, `\\csname`; unbalanced braces;
every LaTeX special character; `<script>`, `<img onerror>`, `javascript:` / `data:` links;
control characters) is put into every text field of a spec (title, course, date, author,
instructions, section, problem title, text, part text, authored answer) and rendered in
every format:

* LaTeX compiled by pdflatex (`-no-shell-escape`, in a temporary folder, under a timeout)
  compiles, reads neither /etc/passwd nor a secret file named in the spec (their text is
  absent from the PDF, by pdftotext), writes no file but its own, and does not hang;
* HTML loaded in headless Chromium runs no script (the payloads would set the title or a
  DOM attribute; the dumped DOM has neither);
* Markdown rendered by markdown-it *with* raw HTML on and every link allowed (a permissive
  renderer downstream) has no `<script>`, `<img>` or unsafe link;
* no control character reaches any output.

Each tool check has a positive control (the same check on a raw payload does fire), so a
check that cannot fail would show.  The pdflatex/Chromium parts skip when the tool is absent
(.ci/run installs both).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import derive
from derive import prose
from derive.render import render

PDFLATEX, PDFTOTEXT = shutil.which("pdflatex"), shutil.which("pdftotext")
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
needs_tex = pytest.mark.skipif(not (PDFLATEX and PDFTOTEXT), reason="pdflatex/pdftotext are not installed")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

SECRET = "SECRETMARKER"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MARK_JS = "document.body.setAttribute('data-pwned','1')"


def payloads(secret: Path) -> str:
    tex = (r"\input{/etc/passwd} \input{%s} \openout5=pwned.tex \immediate\write18{touch pwned-shell} "
           r"\write5{x} \loop\iterate\repeat \def\x{\x}\x \catcode`\^^5c=12 ^^5cinput{/etc/passwd} "
           r"\csname input\endcsname{/etc/passwd} { unbalanced } } \href{javascript:alert(1)}{x} \url{x} "
           r"\read16 to \x" % secret)
    maths = (r"$\input{/etc/passwd}$ $\input{%s}$ $\openout1$ $\def\x{\x}\x$ $x^^5cinput{/etc/passwd}$ "
             r"$\text{\input{/etc/passwd}}$ $\csname input\endcsname$ ${$ $x}$ $$\loop\iterate$$ "
             r"$\immediate\write18{ls}$ $\left( x$ $\begin{x}a\end{x}$" % secret)
    special = r"# $ % & ~ _ ^ \ { } and 50% off & more"
    html = (f"<script>document.title='XSS-RAN';{MARK_JS}</script> <img src=x onerror=\"{MARK_JS}\"> "
            f"[x](javascript:{MARK_JS}) <a href=\"javascript:alert(1)\">a</a> [d](data:text/html,hi) "
            "[v](vbscript:msgbox) <javascript:alert(1)> <svg onload=alert(1)> $[m](javascript:alert(1))$ "
            "$<img src=x onerror=alert(1)>$")
    ctrl = "nul:\x00 esc:\x1b[31m bel:\x07 del:\x7f csi:\x9b end"
    return " ".join([tex, maths, special, html, ctrl])


def injection_spec(folder: Path) -> Path:
    secret = folder / "secret.txt"
    secret.write_text(SECRET + "\n")
    p = payloads(secret)
    spec = folder / "inj.spec"
    spec.write_text(f'''title """T {p}"""
course """C {p}"""
date """D {p}"""
author """A {p}"""
instructions """I {p}"""
section """S {p}""" {{
  problem """P {p}""" points 2 {{
    text """{p}"""
    let s = "a % b"
    (a) [1] text """{p}"""
    (a) find s
    (b) [1] answer """{p}"""
  }}
}}
''', encoding="utf-8")
    return spec


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("inj")
    solution = derive.solve(str(injection_spec(folder)))
    out = {fmt: render(solution, fmt) for fmt in ("md", "latex", "html", "text", "json")}
    out["paper.latex"] = render(solution, "latex", view="paper")
    out["key.md"] = render(solution, "md", view="key")
    return out


# ---- the allow-list ------------------------------------------------------------------------

@pytest.mark.parametrize("tex", [
    r"\input{/etc/passwd}", r"\openout5=x", r"\immediate\write18{ls}", r"\write5{x}", r"\def\x{1}",
    r"\catcode`\^^5c=12", r"x^^5c", r"\loop\iterate", r"\csname input\endcsname", r"\href{a}{b}", r"\url{x}",
    r"\read16 to \x", r"\text{\input{x}}", r"{", r"}", r"\left( x", r"x \right)", r"\begin{x}a\end{x}",
    r"\begin{bmatrix}a", r"\frac{1}", r"x^", r"a $ b", r"\newcommand{\x}{y}", r"\expandafter\x", "a \\",
    r"\begin{align}a\end{align}", r"\mathscr{L}", r"\text{a \textbf{b}}", r"\sqrt[\input x]{2}", r"x_1_2",
])
def test_the_allow_list_refuses(tex):
    assert not prose.math_allowed(tex)


@pytest.mark.parametrize("tex", [
    r"\hat y_1 \ge \frac{1}{2}", r"\operatorname*{argmax}_x f(x)", r"\lVert w \rVert^2", r"\sqrt[3]{x}",
    r"\left[\begin{bmatrix}1 & 2\\ 3 & 4\end{bmatrix}\right]", r"\mathbb{R}^{n \times m}", r"\nabla_\theta L",
    r"\frac{\partial L}{\partial o} = o - t", r"\text{subject to} \quad y_i \ge 1", r"\sum_{i=1}^N x_i^\top w",
    r"\mathbf{x}, \boldsymbol{\mu}, \mathrm{d}x", r"\begin{cases} 1 & x > 0 \\ 0 & \text{else} \end{cases}",
    r"θ ≥ 0 → x₁ ∈ ℝ", r"\left.\frac{a}{b}\right|_{x=0}", r"\binom{k}{\alpha}", r"50\% \& \#",
])
def test_the_allow_list_keeps_exam_maths(tex):
    assert prose.math_allowed(tex)
    assert prose.math_allowed(r"\begin{align} a &= b \\ c &= d \end{align}", display=True)


def test_refused_maths_is_shown_as_its_source_in_every_format():
    text = r"see $\input{/etc/passwd}$ and $x_1$"
    dollar = r"\ensuremath{\$}"       # (a text \$ is a bitmap font in pdflatex)
    assert r"\texttt{%s\textbackslash{}input\{/\allowbreak{}etc/\allowbreak{}passwd\}%s}" % (dollar, dollar) \
        in prose.to_latex(text)
    assert "$x_1$" in prose.to_latex(text)
    assert "<code>$\\input{/etc/passwd}$</code>" in prose.to_html(text) and "<math" in prose.to_html(text)
    assert "`$\\input{/etc/passwd}$`" in prose.to_markdown(text) and "$x_1$" in prose.to_markdown(text)
    assert prose.to_text(text) == r"see $\input{/etc/passwd}$ and x₁"


def test_a_string_value_is_escaped_in_latex(corpus):
    assert r"\text{a \% b}" in corpus["latex"]


# ---- every output ------------------------------------------------------------------------

def test_no_control_character_reaches_any_output(corpus):
    for fmt, out in corpus.items():
        assert not CONTROL.search(out), fmt
    json.loads(corpus["json"])


def test_the_latex_has_no_command_from_the_spec(corpus):
    for name in ("latex", "paper.latex"):
        tex = corpus[name]
        assert tex.isascii()
        body = tex[tex.index(r"\begin{document}"):]
        found = re.findall(r"\\(input|openout|write|immediate|def|catcode|loop|csname|href|url|read)(?![A-Za-z])", body)
        assert not found, found
        assert "^^" not in body


def unsafe_html(page: str) -> list[str]:
    """The tags and attributes of `page` (as a browser parses it) that could run a script."""
    from html.parser import HTMLParser
    found: list[str] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag in ("script", "img", "svg", "iframe", "object", "embed"):
                found.append(tag)
            for k, v in attrs:
                if k.startswith("on") or (k in ("href", "src") and re.match(r"\s*(javascript|data|vbscript):",
                                                                         v or "", re.I)):
                    found.append(f"{tag} {k}={v}")

    Parser().feed(page)
    return found


def test_the_html_has_no_markup_from_the_spec(corpus):
    assert not unsafe_html(corpus["html"])


def markdown_to_html(md: str) -> str:
    """`md` through a permissive renderer: raw HTML on, every link scheme allowed."""
    from markdown_it import MarkdownIt
    renderer = MarkdownIt("commonmark", {"html": True}).enable("table")
    renderer.validateLink = lambda url: True
    return renderer.render(md)


def test_the_markdown_passes_no_raw_html_to_a_renderer(corpus):
    for name in ("md", "key.md"):
        assert not unsafe_html(markdown_to_html(corpus[name])), name
        assert not unsafe_html(markdown_to_html(prose.to_markdown(corpus[name]))), name


def test_the_markdown_check_sees_raw_html():
    assert unsafe_html(markdown_to_html(payloads(Path("/x"))))     # the check can fail


# ---- pdflatex -----------------------------------------------------------------------------

def pdflatex(tex: str, folder: Path) -> tuple[subprocess.CompletedProcess, str]:
    """Compile `tex` in `folder` (no shell escape, a timeout); (the run, the PDF's text)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "doc.tex").write_text(tex)
    proc = subprocess.run([PDFLATEX, "-no-shell-escape", "-recorder", "-interaction=nonstopmode", "-halt-on-error",
                           "doc.tex"],
                          cwd=folder, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    pdf = folder / "doc.pdf"
    text = subprocess.run([PDFTOTEXT, str(pdf), "-"], capture_output=True, text=True, timeout=60).stdout \
        if pdf.is_file() else ""
    return proc, text


def passwd_line() -> str:
    lines = [ln for ln in Path("/etc/passwd").read_text().splitlines() if ln.strip()]
    return lines[0].split(":")[0] + ":" + lines[0].split(":")[1] + ":" if lines else "root:x:"


@needs_tex
@pytest.mark.parametrize("name", ["latex", "paper.latex"])
def test_pdflatex_reads_and_writes_nothing_and_does_not_hang(corpus, name, tmp_path):
    proc, text = pdflatex(corpus[name], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert SECRET not in text and passwd_line() not in text
    # -recorder lists every file pdflatex opened (INPUT) and wrote (OUTPUT)
    opened = (tmp_path / "doc.fls").read_text(errors="replace").splitlines()
    assert not [ln for ln in opened if "passwd" in ln or "secret" in ln]
    written = {Path(ln.split(" ", 1)[1]).name for ln in opened if ln.startswith("OUTPUT ")}
    assert written <= {"doc.aux", "doc.log", "doc.pdf", "doc.fls"}, written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.aux", "doc.fls", "doc.log", "doc.pdf", "doc.tex"]
    if name == "latex":
        assert "a % b" in text


@needs_tex
def test_the_pdflatex_checks_see_a_raw_read_and_write(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET + "\n")
    doc = (r"\documentclass{article}\begin{document}\input{%s} "
           r"\immediate\openout5=pwned.tex \immediate\write5{x}\immediate\closeout5 \end{document}" % secret)
    proc, text = pdflatex(doc, tmp_path / "run")
    assert SECRET in text and (tmp_path / "run" / "pwned.tex").is_file()
    opened = (tmp_path / "run" / "doc.fls").read_text()
    assert "INPUT " + str(secret) in opened and "OUTPUT pwned.tex" in opened


# ---- Chromium -----------------------------------------------------------------------------

def dump_dom(page: str, tmp: Path) -> str:
    html = tmp / "page.html"
    html.write_text(page, encoding="utf-8")
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
           "--disable-background-networking", "--disable-component-update", f"--user-data-dir={profile}",
           "--virtual-time-budget=3000", "--dump-dom", html.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert "<body" in proc.stdout, proc.stderr[-2000:]
    return proc.stdout


def ran_script(dom: str) -> bool:
    return bool(re.search(r"<body[^>]*data-pwned", dom)) or "<title>XSS-RAN</title>" in dom


@needs_chromium
def test_the_html_runs_no_script_in_chromium(corpus, tmp_path):
    assert not ran_script(dump_dom(corpus["html"], tmp_path))


@needs_chromium
def test_the_chromium_check_sees_a_script_that_runs(tmp_path):
    page = f"<!DOCTYPE html><html><head><title>t</title></head><body><script>{MARK_JS}</script></body></html>"
    assert ran_script(dump_dom(page, tmp_path))


def test_the_markdown_docs_exams_md_describes():
    """docs/exams.md, "Markdown in text fields": each claim, in the HTML output."""
    assert prose.to_html("costs $5 and $10") == "<p>costs $5 and $10</p>"
    assert prose.to_html(r"a \$ next to $x$").startswith("<p>a $ next to <math")
    assert prose.to_html("*i* _i_ **b** `c`") == "<p><em>i</em> <em>i</em> <strong>b</strong> <code>c</code></p>"
    assert prose.to_html("a  \nb").startswith("<p>a<br>") and prose.to_html("a\\\nb").startswith("<p>a<br>")
    assert "<table>" in prose.to_html("| a | b |\n|---|--:|\n| 1 | 2 |")
    assert prose.to_html("![alt](https://x.org/i.png)") == '<p>!<a href="https://x.org/i.png">alt</a></p>'
    assert prose.to_html("<b>x</b>") == "<p>&lt;b&gt;x&lt;/b&gt;</p>"
    for scheme in ("javascript:x", "data:x", "vbscript:x", "file:///etc/passwd"):
        assert prose.to_html(f"[label]({scheme})") == "<p>label</p>"
    for url in ("https://x.org", "mailto:a@b.org", "../notes.html"):
        assert f'href="{url}"' in prose.to_html(f"[label]({url})")
    assert "<math" in prose.to_html(r"$$\begin{align} a &= b \end{align}$$")
    assert "<code>" in prose.to_html(r"$\def\x{1}$") and "<code>" in prose.to_html(r"$\mathscr{L}$")
    assert r"50\% \# \& \textasciitilde{}" in prose.to_latex("50% # & ~")
