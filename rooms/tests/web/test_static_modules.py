"""The front end's ES modules: imports that resolve and never run in a circle, and
protocol numbers written in one place (static/js/protocol.js).

No build step checks these for us, so this reads the files: an import of a file
that is not there, or a cycle, would only show as a broken page in a browser.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
STATIC = ROOT / "static"
JS = STATIC / "js"
VENDOR = STATIC / "vendor"
PROTOCOL = JS / "protocol.js"
TEMPLATES = ROOT / "templates"

# `import x from "./a.js"`, `import { a, b } from "../b.js"` (over several lines too),
# `import "./c.js"`, `export { d } from "./d.js"`: static imports and re-exports.
STATIC_IMPORT = re.compile(r"""^\s*(?:import|export)\s+(?:[\w$*{}\s,]+?\s+from\s+)?["']([^"']+)["']""", re.M)
# `import("./e.js")` with a literal path; a computed one (emoji.js loads the vendored
# picker through new URL(…)) cannot be followed and is left to the browser tests.
DYNAMIC_IMPORT = re.compile(r"""\bimport\(\s*(["'`])([^"'`]+)\1\s*\)""")
TEMPLATE_SCRIPT = re.compile(r"""<script\b[^>]*\bsrc="\{%\s*static\s+'(js/[^']+\.js)'""")


def modules() -> list[Path]:
    return sorted(JS.rglob("*.js"))


def name(path: Path) -> str:
    return path.relative_to(STATIC).as_posix()


def code(source: str) -> str:
    """The source with /* … */ blocks and whole-line // comments blanked (trailing ones stay), lines kept."""
    source = re.sub(r"/\*.*?\*/", lambda block: "\n" * block[0].count("\n"), source, flags=re.S)
    return "\n".join("" if line.lstrip().startswith("//") else line for line in source.splitlines())


def specifiers(path: Path) -> list[str]:
    source = code(path.read_text(encoding="utf-8"))
    return STATIC_IMPORT.findall(source) + [match[1] for match in DYNAMIC_IMPORT.findall(source)]


def import_graph() -> tuple[dict[Path, list[Path]], list[str]]:
    """Each module's imported modules under static/js, and every import that is wrong."""
    graph: dict[Path, list[Path]] = {}
    problems = []
    for module in modules():
        graph[module] = []
        for spec in specifiers(module):
            if not spec.startswith(("./", "../")):
                problems.append(f"{name(module)} imports {spec!r}: only relative paths work without a build step")
                continue
            target = (module.parent / spec).resolve()
            if not target.is_relative_to(STATIC):
                problems.append(f"{name(module)} imports {spec!r}, outside static/")
            elif not target.is_file():
                problems.append(f"{name(module)} imports {spec!r}, which does not exist")
            elif target.is_relative_to(JS):
                graph[module].append(target)
    return graph, problems


def find_cycle(graph: dict[Path, list[Path]]) -> list[Path] | None:
    done: set[Path] = set()
    path: list[Path] = []

    def visit(module: Path) -> list[Path] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        path.append(module)
        for target in graph.get(module, []):
            cycle = visit(target)
            if cycle:
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in graph:
        cycle = visit(module)
        if cycle:
            return cycle
    return None


def frozen(const: str) -> dict[str, str]:
    """`export const <const> = Object.freeze({ NAME: value, … })` in protocol.js, values as written."""
    block = re.search(rf"export const {const} = Object\.freeze\(\{{\n(.*?)\n\}}\);", PROTOCOL.read_text(), re.S)
    assert block, f"protocol.js has no `export const {const} = Object.freeze({{ … }});`"
    lines = block[1].splitlines()
    entries = [re.fullmatch(r'  ([A-Z][A-Z0-9_]*): (\d+|"[a-z_]+"),', line) for line in lines]
    assert all(entries), f"protocol.js {const}: one `NAME: value,` per line, nothing else: {lines}"
    return {entry[1]: entry[2] for entry in entries}


def others() -> list[Path]:
    return [module for module in modules() if module != PROTOCOL]


def test_every_import_resolves_to_a_file():
    _, problems = import_graph()
    assert not problems, "\n".join(problems)


def test_the_import_graph_has_no_cycle():
    graph, _ = import_graph()
    assert sum(len(targets) for targets in graph.values()) > 20  # the parser still finds the imports
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(name(module) for module in cycle)


def test_every_module_is_loaded_by_a_page():
    entries = {
        STATIC / src for template in TEMPLATES.rglob("*.html") for src in TEMPLATE_SCRIPT.findall(template.read_text())
    }
    assert {name(entry) for entry in entries} >= {"js/theme.js", "js/layout.js", "js/lobby.js", "js/room/main.js"}
    missing = [name(entry) for entry in entries if not entry.is_file()]
    assert not missing, f"templates load scripts that do not exist: {missing}"
    graph, _ = import_graph()
    reached, todo = set(), list(entries)
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(graph.get(module, []))
    orphans = [name(module) for module in modules() if module not in reached]
    assert not orphans, f"modules no page loads, directly or through imports: {orphans}"


def test_protocol_holds_the_close_codes_the_page_acts_on():
    assert frozen("Close").items() >= {"BANNED": "4003", "FLOOD": "4008", "RESTART": "4012"}.items()
    codes = frozen("Code")
    assert {"RATE_LIMITED", "ROOM_NOT_FOUND", "BANNED", "USERNAME_TAKEN"} <= codes.keys()
    assert all(value == f'"{key.lower()}"' for key, value in codes.items())


def test_no_close_code_is_written_out_outside_protocol_js():
    close_codes = set(frozen("Close").values())
    problems = []
    for module in others():
        for number, line in enumerate(code(module.read_text(encoding="utf-8")).splitlines(), 1):
            literals = set(re.findall(r"(?<![\w.])\d+(?![\w.])", line))
            # One of ours anywhere, or any application close code (4000–4999) near a code or close.
            used = literals & close_codes
            used |= {
                n for n in literals if re.fullmatch(r"4\d{3}", n) and re.search(r"code|close|Set\(|[!=]==?", line, re.I)
            }
            if used:
                problems.append(f"{name(module)}:{number}: {line.strip()}  (use Close from protocol.js)")
    assert not problems, "\n".join(problems)


def test_no_error_code_is_written_out_outside_protocol_js():
    error_codes = {value.strip('"') for value in frozen("Code").values()}
    pattern = re.compile(r"""(["'`])(""" + "|".join(sorted(error_codes)) + r""")\1""")
    problems = [
        f"{name(module)}:{number}: {line.strip()}  (use Code from protocol.js)"
        for module in others()
        for number, line in enumerate(code(module.read_text(encoding="utf-8")).splitlines(), 1)
        if pattern.search(line)
    ]
    assert not problems, "\n".join(problems)
