#!/usr/bin/env python3
"""List the public API of a Rust library crate from its rustdoc JSON, and compare listings.

Standard library only (Python 3.11+). Written for rustdoc JSON format_version 57 (Rust 1.95);
other versions are accepted with a warning, and anything that cannot be rendered becomes a
visible `<unrendered ...>` placeholder instead of a crash.

Usage:
  public_api.py list JSON_FILE [--header]     print the sorted listing on stdout
  public_api.py semver OLD_LISTING NEW_LISTING
                                              print removed (- ) and added (+ ) lines and a verdict;
                                              exit 1 only when the change is breaking
  public_api.py check JSON_FILE SNAPSHOT_FILE exit 0 when the listing equals the snapshot (lines
                                              starting with '#' are ignored), else print the diff and
                                              the verdict and exit 1

Produce the JSON with:
  RUSTC_BOOTSTRAP=1 cargo rustdoc --lib -- -Z unstable-options --output-format json

Listing format (one line per item, grouped by path, deterministic):
  pub mod P
  pub struct P<G> where W [;|(T, _)|{ .. }] [#[non_exhaustive]]
      `;` unit struct, `(...)` tuple struct (`_` = private field), `{ .. }` = has private fields
  pub field P::name: T                      named field of a struct, union or struct variant
  pub enum P<G> [#[non_exhaustive]]
  pub variant P::V[(T, ..)] [= discriminant] [#[non_exhaustive]]
  pub union P<G> [{ .. }]
  pub [const] [async] [unsafe] [extern "abi"] fn P[::method]<G>(args) -> R where W
  pub const P: T / pub static [mut] P: T / pub type P<G> = T
  pub [unsafe] [auto] trait P<G>: Bounds where W
  pub fn Trait::m(..) [{ ... }]             `{ ... }` = provided (has a default body)
  pub type Trait::T: Bounds [= Default] / pub const Trait::C: T [= ...]
  impl<G> [!]Trait for Type [where W] [{ type A = T; const C: T }]
  pub use P = TARGET                        another public path of an item listed under TARGET,
                                            or a re-export of an external item
  pub macro P!

semver rules: a removed or changed line is breaking; an added line is additive, except an added
field whose owner struct/variant/union is in the old listing without #[non_exhaustive] and
without `{ .. }` (private fields), an added variant of an enum that is in the old listing without
#[non_exhaustive], and an added trait item without a default (`{ ... }` / `= ...`) in a trait that
is in the old listing. Gaining or losing #[non_exhaustive] is reported as such (breaking).
"""

from __future__ import annotations

import difflib
import json
import re
import sys

SUPPORTED_FORMAT_VERSIONS = {57}

# Auto traits that are unstable/internal: they cannot be named on stable Rust and come and go
# between toolchains, so listing them would make snapshots depend on the compiler version.
SKIPPED_AUTO_TRAITS = {"core::marker::Freeze", "core::marker::UnsafeUnpin"}

# Unstable compiler-internal marker traits implemented by derives (derive(PartialEq) adds
# StructuralPartialEq): not nameable on stable, and already implied by the derived trait.
SKIPPED_TRAITS = {"core::marker::StructuralPartialEq"}

TYPE_NS = {"module", "struct", "enum", "union", "trait", "trait_alias", "type_alias",
           "extern_type", "primitive", "extern_crate"}
VALUE_NS = {"function", "constant", "static"}
MACRO_NS = {"macro", "proc_macro"}


def kind_of(item):
    inner = item.get("inner")
    if isinstance(inner, dict) and inner:
        return next(iter(inner))
    if isinstance(inner, str):
        return inner
    return "?"


def namespace_of(kind):
    if kind in VALUE_NS:
        return "value"
    if kind in MACRO_NS:
        return "macro"
    return "type"


def attr_text(attr):
    """A readable text for one attribute, whatever its JSON shape."""
    if isinstance(attr, str):
        return attr
    if isinstance(attr, dict):
        if "other" in attr and isinstance(attr["other"], str):
            return attr["other"]
        try:
            return json.dumps(attr, sort_keys=True)
        except (TypeError, ValueError):
            return str(attr)
    return str(attr)


def has_attr(item, name):
    """True when `item` carries #[name] (string "name", "#[name]" or {"other": "#[name]"})."""
    pat = re.compile(r"^\s*(#!?\[\s*)?" + re.escape(name) + r"\s*\]?\s*$")
    for a in item.get("attrs") or []:
        if isinstance(a, dict) and name in a and len(a) == 1:
            return True
        if pat.match(attr_text(a)):
            return True
    return False


def is_doc_hidden(item):
    for a in item.get("attrs") or []:
        t = attr_text(a).replace(" ", "")
        if "doc(hidden)" in t or t == "hidden":
            return True
        if isinstance(a, dict) and isinstance(a.get("doc"), dict) and a["doc"].get("hidden"):
            return True
    return False


class Renderer:
    def __init__(self, data):
        self.data = data
        self.index = data["index"]
        self.paths = data.get("paths", {})
        self.root = str(data["root"])
        self.crate_id = data["index"][self.root].get("crate_id", 0)
        self.canonical = {}      # local id -> canonical public path (tuple)
        self.problems = set()    # descriptions of things that could not be rendered
        self.lines = {}          # text -> sort key (dedup)
        self.emitted_impls = set()

    # ------------------------------------------------------------------ helpers
    def item(self, id_):
        if id_ is None:
            return None
        return self.index.get(str(id_))

    def is_local(self, id_):
        it = self.item(id_)
        return it is not None and it.get("crate_id") == self.crate_id

    def placeholder(self, what, obj=None):
        desc = what if obj is None else "%s %s" % (what, json.dumps(obj, sort_keys=True)[:80])
        self.problems.add(desc)
        return "<unrendered %s>" % what

    def path_of_id(self, id_, fallback=None):
        """Best user-facing path for an id: public path for local items, else `paths` table."""
        if id_ is not None:
            sid = str(id_)
            if sid in self.canonical:
                return "::".join(self.canonical[sid])
            p = self.paths.get(sid)
            if p and p.get("path"):
                return "::".join(p["path"])
        if fallback:
            return fallback.lstrip(":") if fallback.startswith("::") else fallback
        return self.placeholder("path", id_)

    # ------------------------------------------------------------------ types
    def ty(self, t):
        if t is None:
            return "()"
        if not isinstance(t, dict) or not t:
            return self.placeholder("type", t)
        k, v = next(iter(t.items()))
        try:
            if k == "resolved_path":
                return self.path(v)
            if k == "dyn_trait":
                parts = [self.poly_trait(p) for p in v.get("traits", [])]
                if v.get("lifetime"):
                    parts.append(v["lifetime"])
                return "dyn " + " + ".join(parts)
            if k == "generic":
                return v
            if k == "primitive":
                return v
            if k == "function_pointer":
                return self.fn_pointer(v)
            if k == "tuple":
                if len(v) == 1:
                    return "(%s,)" % self.ty(v[0])
                return "(%s)" % ", ".join(self.ty(x) for x in v)
            if k == "slice":
                return "[%s]" % self.ty(v)
            if k == "array":
                return "[%s; %s]" % (self.ty(v["type"]), v.get("len"))
            if k == "pat":
                return "%s is <pattern>" % self.ty(v.get("type"))
            if k == "impl_trait":
                return "impl " + self.bounds(v)
            if k == "infer":
                return "_"
            if k == "raw_pointer":
                return "*%s %s" % ("mut" if v.get("is_mutable") else "const", self.pointee(v["type"]))
            if k == "borrowed_ref":
                s = "&"
                if v.get("lifetime"):
                    s += v["lifetime"] + " "
                if v.get("is_mutable"):
                    s += "mut "
                return s + self.pointee(v["type"])
            if k == "qualified_path":
                self_ty = self.ty(v.get("self_type"))
                name = v.get("name", "?") + self.generic_args(v.get("args"))
                tr = v.get("trait")
                if tr:
                    return "<%s as %s>::%s" % (self_ty, self.path(tr), name)
                return "%s::%s" % (self_ty, name)
        except (KeyError, TypeError, AttributeError, StopIteration):
            return self.placeholder("type:" + k, v)
        return self.placeholder("type:" + k, v)

    def pointee(self, t):
        """Type behind & or *: `&(dyn A + B)` needs parentheses when there are several bounds."""
        s = self.ty(t)
        if isinstance(t, dict) and ("dyn_trait" in t or "impl_trait" in t) and " + " in s:
            return "(%s)" % s
        return s

    def path(self, p):
        """A `Path` ({path|name, id, args})."""
        if not isinstance(p, dict):
            return self.placeholder("path", p)
        name = p.get("path", p.get("name"))
        return self.path_of_id(p.get("id"), name) + self.generic_args(p.get("args"))

    def generic_args(self, a):
        if not a:
            return ""
        if not isinstance(a, dict):
            return self.placeholder("generic_args", a)
        if "angle_bracketed" in a:
            ab = a["angle_bracketed"] or {}
            parts = [self.generic_arg(x) for x in ab.get("args", [])]
            parts += [self.constraint(c) for c in ab.get("constraints", [])]
            return "<%s>" % ", ".join(parts) if parts else ""
        if "parenthesized" in a:
            pz = a["parenthesized"] or {}
            s = "(%s)" % ", ".join(self.ty(x) for x in pz.get("inputs", []))
            if pz.get("output") is not None:
                s += " -> " + self.ty(pz["output"])
            return s
        if "return_type_notation" in a:
            return "(..)"
        return self.placeholder("generic_args", a)

    def generic_arg(self, x):
        if x == "infer":
            return "_"
        if isinstance(x, dict):
            if "type" in x:
                return self.ty(x["type"])
            if "lifetime" in x:
                return x["lifetime"]
            if "const" in x:
                return self.constant_expr(x["const"])
        return self.placeholder("generic_arg", x)

    def constant_expr(self, c):
        if isinstance(c, dict):
            return c.get("expr") or c.get("value") or "_"
        return str(c)

    def term(self, t):
        if isinstance(t, dict):
            if "type" in t:
                return self.ty(t["type"])
            if "constant" in t:
                return self.constant_expr(t["constant"])
        return self.placeholder("term", t)

    def constraint(self, c):
        name = c.get("name", "?") + self.generic_args(c.get("args"))
        b = c.get("binding")
        if isinstance(b, dict):
            if "equality" in b:
                return "%s = %s" % (name, self.term(b["equality"]))
            if "constraint" in b:
                return "%s: %s" % (name, self.bounds(b["constraint"]))
        return self.placeholder("constraint", c)

    def poly_trait(self, p):
        hr = self.hrtb(p.get("generic_params"))
        return hr + self.path(p.get("trait"))

    def hrtb(self, params):
        params = [g for g in (params or [])]
        if not params:
            return ""
        return "for<%s> " % ", ".join(self.generic_param(g) for g in params)

    def bound(self, b):
        if isinstance(b, dict):
            if "trait_bound" in b:
                tb = b["trait_bound"]
                mod = tb.get("modifier", "none")
                prefix = {"none": "", "maybe": "?", "maybe_const": "[const] "}.get(mod, "")
                return self.hrtb(tb.get("generic_params")) + prefix + self.path(tb.get("trait"))
            if "outlives" in b:
                return b["outlives"]
            if "use" in b:
                args = []
                for u in b["use"] or []:
                    if isinstance(u, dict):
                        args.append(u.get("lifetime") or u.get("param") or "?")
                    else:
                        args.append(str(u))
                return "use<%s>" % ", ".join(args)
        return self.placeholder("bound", b)

    def bounds(self, bs):
        return " + ".join(self.bound(b) for b in (bs or []))

    def fn_pointer(self, v):
        s = self.hrtb(v.get("generic_params"))
        s += self.header(v.get("header") or {})
        sig = v.get("sig") or {}
        args = []
        for name, t in sig.get("inputs", []):
            args.append(self.ty(t) if name in ("_", "") else "%s: %s" % (name, self.ty(t)))
        if sig.get("is_c_variadic"):
            args.append("...")
        s += "fn(%s)" % ", ".join(args)
        if sig.get("output") is not None:
            s += " -> " + self.ty(sig["output"])
        return s

    def header(self, h):
        s = ""
        if h.get("is_const"):
            s += "const "
        if h.get("is_async"):
            s += "async "
        if h.get("is_unsafe"):
            s += "unsafe "
        abi = h.get("abi", "Rust")
        if abi != "Rust":
            if isinstance(abi, dict):
                name, val = next(iter(abi.items()))
                if name == "Other":
                    s += 'extern %s ' % (val if str(val).startswith('"') else '"%s"' % val)
                else:
                    unwind = isinstance(val, dict) and val.get("unwind")
                    s += 'extern "%s%s" ' % (name, "-unwind" if unwind else "")
            else:
                s += 'extern "%s" ' % abi
        return s

    # ------------------------------------------------------------------ generics
    def generic_param(self, g):
        name = g.get("name", "?")
        kind = g.get("kind") or {}
        if "lifetime" in kind:
            out = (kind["lifetime"] or {}).get("outlives") or []
            return name + (": " + " + ".join(out) if out else "")
        if "type" in kind:
            t = kind["type"] or {}
            s = name
            if t.get("bounds"):
                s += ": " + self.bounds(t["bounds"])
            if t.get("default") is not None:
                s += " = " + self.ty(t["default"])
            return s
        if "const" in kind:
            c = kind["const"] or {}
            s = "const %s: %s" % (name, self.ty(c.get("type")))
            if c.get("default") is not None:
                s += " = " + str(c["default"])
            return s
        return self.placeholder("generic_param", g)

    def visible_params(self, generics):
        out = []
        for g in (generics or {}).get("params", []):
            kind = g.get("kind") or {}
            if "type" in kind and (kind["type"] or {}).get("is_synthetic"):
                continue  # `impl Trait` in argument position
            out.append(g)
        return out

    def generics_decl(self, generics):
        ps = self.visible_params(generics)
        return "<%s>" % ", ".join(self.generic_param(g) for g in ps) if ps else ""

    def where_pred(self, w):
        if "bound_predicate" in w:
            b = w["bound_predicate"]
            return "%s%s: %s" % (self.hrtb(b.get("generic_params")), self.ty(b.get("type")),
                                 self.bounds(b.get("bounds")))
        if "lifetime_predicate" in w:
            b = w["lifetime_predicate"]
            return "%s: %s" % (b.get("lifetime"), " + ".join(b.get("outlives") or []))
        if "eq_predicate" in w:
            b = w["eq_predicate"]
            return "%s = %s" % (self.ty(b.get("lhs")), self.term(b.get("rhs")))
        return self.placeholder("where_predicate", w)

    def where_clause(self, *generics_list, extra=()):
        preds = list(extra)
        for g in generics_list:
            for w in (g or {}).get("where_predicates", []):
                preds.append(self.where_pred(w))
        return " where " + ", ".join(preds) if preds else ""

    def impl_param_bounds_as_where(self, generics):
        """Bounds declared on impl params (`impl<T: Clone>`), as where-predicates."""
        out = []
        for g in self.visible_params(generics):
            kind = g.get("kind") or {}
            if "type" in kind and (kind["type"] or {}).get("bounds"):
                out.append("%s: %s" % (g["name"], self.bounds(kind["type"]["bounds"])))
            elif "lifetime" in kind and (kind["lifetime"] or {}).get("outlives"):
                out.append("%s: %s" % (g["name"], " + ".join(kind["lifetime"]["outlives"])))
        return out

    # ------------------------------------------------------------------ reachability
    def module_entries(self, mod_id, stack):
        """Public names of a module: list of (name, kind, target_id or None, use_item or None).

        Explicit items and non-glob re-exports shadow glob imports (per namespace)."""
        mod = self.item(mod_id)
        if mod is None:
            return []
        explicit, globbed = [], []
        for cid in (mod["inner"].get("module") or {}).get("items", []):
            child = self.item(cid)
            if child is None or is_doc_hidden(child):
                continue
            if child.get("visibility") != "public":
                continue
            k = kind_of(child)
            if k == "impl":
                continue
            if k == "use":
                u = child["inner"]["use"]
                target = self.item(u.get("id"))
                if target is not None and is_doc_hidden(target):
                    continue
                if u.get("is_glob"):
                    globbed.extend(self.glob_entries(child, target, stack))
                else:
                    tk = kind_of(target) if target is not None else None
                    explicit.append((u.get("name"), tk, u.get("id") if target else None, child))
            else:
                explicit.append((child.get("name"), k, cid, None))
        seen = {(n, namespace_of(k or "?")) for n, k, _, _ in explicit}
        out = list(explicit)
        for e in globbed:
            key = (e[0], namespace_of(e[1] or "?"))
            if key not in seen:
                seen.add(key)
                out.append(e)
        return out

    def glob_entries(self, use_item, target, stack):
        if target is None:
            return [("*", None, None, use_item)]          # glob of an external module
        k = kind_of(target)
        tid = str(target["id"])
        if k == "module":
            if tid in stack:
                return []
            stack = stack | {tid}
            out = []
            for e in self.module_entries(tid, stack):
                # a glob only re-exports what is public in the target module
                out.append(e)
            return out
        if k == "enum":
            out = []
            for vid in target["inner"]["enum"].get("variants", []):
                v = self.item(vid)
                if v is not None and not is_doc_hidden(v):
                    out.append((v.get("name"), "variant", str(vid), None))
            return out
        return [("*", k, None, use_item)]

    def walk(self):
        """Find the public modules and their public names, then the canonical path of every
        reachable local item: canonical(parent module) + name, the best by `path_score`."""
        root_name = self.item(self.root).get("name")
        edges = []        # (module id, name, kind, target id or None, use item or None)
        modules, seen = [self.root], {self.root}
        i = 0
        while i < len(modules):
            mid = modules[i]
            i += 1
            for name, k, tid, use_item in self.module_entries(mid, frozenset([mid])):
                tid = None if tid is None else str(tid)
                edges.append((mid, name, k, tid, use_item))
                if k == "module" and tid is not None and self.is_local(tid) and tid not in seen:
                    seen.add(tid)
                    modules.append(tid)
        canon = {self.root: (root_name,)}
        changed, rounds = True, 0
        while changed and rounds < 200:
            changed, rounds = False, rounds + 1
            for mid, name, k, tid, _ in edges:
                if tid is None or tid == self.root or not self.is_local(tid) or k == "variant" \
                        or mid not in canon:
                    continue
                cand = canon[mid] + (name,)
                if len(cand) > 64:
                    continue
                cur = canon.get(tid)
                if cur is None or self.path_score(tid, cand) < self.path_score(tid, cur):
                    canon[tid] = cand
                    changed = True
        self.canonical = canon
        self.edges = edges
        self.variant_enum = {}
        for id_, it in self.index.items():
            if kind_of(it) == "enum":
                for vid in it["inner"]["enum"].get("variants", []):
                    self.variant_enum[str(vid)] = id_

    def path_score(self, id_, p):
        """Prefer the public path that matches the most trailing components of the definition
        path (`livedesk::types::Contact` for `livedesk::generated::types::Contact`), then the
        shortest, then the alphabetically first."""
        d = (self.paths.get(id_) or {}).get("path") or []
        n = 0
        while n < min(len(d), len(p)) and d[-1 - n] == p[-1 - n]:
            n += 1
        return (-n, len(p), p)

    # ------------------------------------------------------------------ emission
    def emit(self, text, key_path, section=0, sub=()):
        key = (tuple(key_path), section, tuple(sub), text)
        old = self.lines.get(text)
        if old is None or key < old:
            self.lines[text] = key

    def run(self):
        self.walk()
        for id_ in sorted(self.canonical, key=lambda i: self.canonical[i]):
            self.emit_item(id_)
        # other public names of listed items, and re-exports of external items
        for mid, name, k, tid, use_item in self.edges:
            if mid not in self.canonical:
                continue
            p = self.canonical[mid] + (name,)
            target = None
            if tid is not None and self.is_local(tid):
                if k == "variant":
                    eid = self.variant_enum.get(tid)
                    vname = self.item(tid).get("name")
                    if eid is not None:
                        target = "%s::%s" % (self.path_of_id(eid), vname)
                elif tid in self.canonical:
                    target = "::".join(self.canonical[tid])
                if target is not None and target == "::".join(p):
                    continue
            if target is None and use_item is not None:
                u = use_item["inner"]["use"]
                target = self.path_of_id(u.get("id"), u.get("source"))
                if u.get("is_glob") and not target.endswith("*"):
                    target += "::*"
            if target is None:
                target = self.placeholder("re-export target", [name, k, tid])
            self.emit("pub use %s = %s" % ("::".join(p), target), p)
        # trait impls for the crate's traits that are not listed under a type
        for id_ in sorted(self.canonical, key=lambda i: self.canonical[i]):
            it = self.item(id_)
            if kind_of(it) == "trait":
                for iid in it["inner"]["trait"].get("implementations", []):
                    if str(iid) not in self.emitted_impls:
                        self.emit_impl(iid, self.canonical[id_], 6, allow_blanket=True)
        # remaining local trait impls on foreign types (e.g. `impl From<Error> for io::Error`)
        for iid in sorted(self.index, key=lambda s: int(s) if s.isdigit() else 0):
            it = self.index[iid]
            if iid in self.emitted_impls or it.get("crate_id") != self.crate_id:
                continue
            if kind_of(it) != "impl":
                continue
            im = it["inner"]["impl"]
            if im.get("trait") is None or im.get("blanket_impl") is not None or im.get("is_synthetic"):
                continue
            if not self.references_only_public(im):
                continue
            # list it under the first public local type it mentions (`impl From<livedesk::Error>
            # for String` goes with livedesk::Error), else under the trait's path
            key = None
            for ref in self.local_refs(im.get("trait")) + self.local_refs(im.get("for")):
                if ref in self.canonical and kind_of(self.item(ref)) in ("struct", "enum", "union"):
                    key = self.canonical[ref]
                    break
            if key is None:
                tr = im["trait"]
                key = tuple(self.path_of_id(tr.get("id"), tr.get("path")).split("::"))
            self.emit_impl(iid, key, 4)
        return sorted(self.lines, key=lambda t: self.lines[t])

    def local_refs(self, obj):
        """Ids of local items mentioned in a type/path, in order."""
        out, stack = [], [obj]
        while stack:
            o = stack.pop(0)
            if isinstance(o, dict):
                if o.get("id") is not None and ("path" in o or "name" in o) and self.is_local(o["id"]):
                    out.append(str(o["id"]))
                stack.extend(o.values())
            elif isinstance(o, list):
                stack.extend(o)
        return out

    def references_only_public(self, obj):
        """False if `obj` mentions a local item that is not reachable (private or hidden)."""
        stack = [obj]
        while stack:
            o = stack.pop()
            if isinstance(o, dict):
                if "id" in o and ("path" in o or "name" in o) and o.get("id") is not None:
                    if self.is_local(o["id"]) and str(o["id"]) not in self.canonical:
                        return False
                stack.extend(v for k, v in o.items() if k != "items")
            elif isinstance(o, list):
                stack.extend(o)
        return True

    def emit_item(self, id_):
        it = self.item(id_)
        path = self.canonical[id_]
        name = "::".join(path)
        k = kind_of(it)
        v = it["inner"].get(k) if isinstance(it["inner"], dict) else None
        ne = " #[non_exhaustive]" if has_attr(it, "non_exhaustive") else ""
        if k == "module":
            self.emit("pub mod " + name, path)
        elif k == "struct":
            g = v.get("generics")
            sk = v.get("kind")
            body = ""
            fields = []
            if sk == "unit":
                body = ";"
            elif isinstance(sk, dict) and "tuple" in sk:
                parts = []
                for fid in sk["tuple"]:
                    f = self.item(fid)
                    if f is None or f.get("visibility") != "public" or is_doc_hidden(f):
                        parts.append("_")
                    else:
                        parts.append(self.ty(f["inner"].get("struct_field")))
                body = "(%s)" % ", ".join(parts)
            elif isinstance(sk, dict) and "plain" in sk:
                pl = sk["plain"]
                fields = pl.get("fields", [])
                hidden = any(self.item(f) is None or is_doc_hidden(self.item(f))
                             or self.item(f).get("visibility") != "public" for f in fields)
                if pl.get("has_stripped_fields") or hidden:
                    body = " { .. }"
                elif not fields:
                    body = " {}"
            else:
                body = " " + self.placeholder("struct_kind", sk)
            text = "pub struct %s%s%s%s%s" % (name, self.generics_decl(g), self.where_clause(g),
                                               body, ne)
            self.emit(text, path)
            self.emit_fields(path, fields)
            self.emit_impls(it, v.get("impls", []), path)
        elif k == "union":
            g = v.get("generics")
            fields = v.get("fields", [])
            body = " { .. }" if v.get("has_stripped_fields") else ""
            self.emit("pub union %s%s%s%s%s" % (name, self.generics_decl(g), self.where_clause(g),
                                                 body, ne), path)
            self.emit_fields(path, fields)
            self.emit_impls(it, v.get("impls", []), path)
        elif k == "enum":
            g = v.get("generics")
            self.emit("pub enum %s%s%s%s" % (name, self.generics_decl(g), self.where_clause(g), ne),
                      path)
            for vid in v.get("variants", []):
                self.emit_variant(path, vid)
            self.emit_impls(it, v.get("impls", []), path)
        elif k == "function":
            self.emit(self.fn_line(name, v), path)
        elif k == "constant":
            self.emit("pub const %s: %s" % (name, self.ty(v.get("type"))), path)
        elif k == "static":
            self.emit("pub %sstatic %s%s: %s" % ("unsafe " if v.get("is_unsafe") else "",
                                                 "mut " if v.get("is_mutable") else "",
                                                 name, self.ty(v.get("type"))), path)
        elif k == "type_alias":
            g = v.get("generics")
            self.emit("pub type %s%s = %s%s" % (name, self.generics_decl(g), self.ty(v.get("type")),
                                                self.where_clause(g)), path)
            # the aliased type's items are listed under the aliased type itself
        elif k == "trait":
            self.emit_trait(path, v, it)
        elif k == "trait_alias":
            g = v.get("generics")
            self.emit("pub trait %s%s = %s%s" % (name, self.generics_decl(g),
                                                 self.bounds(v.get("params")), self.where_clause(g)),
                      path)
        elif k == "macro":
            self.emit("pub macro %s!" % name, path)
        elif k == "proc_macro":
            pk = (v or {}).get("kind", "bang")
            if pk == "derive":
                helpers = (v or {}).get("helpers") or []
                self.emit("pub derive %s%s" % (name, " (helpers: %s)" % ", ".join(helpers)
                                               if helpers else ""), path)
            elif pk == "attr":
                self.emit("pub attribute #[%s]" % name, path)
            else:
                self.emit("pub macro %s!" % name, path)
        elif k == "extern_type":
            self.emit("pub extern type %s" % name, path)
        elif k == "extern_crate":
            self.emit("pub extern crate %s = %s" % (name, (v or {}).get("name")), path)
        elif k == "primitive":
            pass
        else:
            self.emit("pub %s %s" % (k, name) + " " + self.placeholder("item kind " + k), path)

    def emit_fields(self, owner, field_ids, section=2):
        for fid in field_ids:
            f = self.item(fid)
            if f is None or f.get("visibility") not in ("public", "default") or is_doc_hidden(f):
                continue
            self.emit("pub field %s::%s: %s" % ("::".join(owner), f.get("name"),
                                                 self.ty(f["inner"].get("struct_field"))),
                      owner, section, (f.get("name"),))

    def emit_variant(self, enum_path, vid):
        v = self.item(vid)
        if v is None or is_doc_hidden(v):
            return
        vv = v["inner"]["variant"]
        vpath = tuple(enum_path) + (v.get("name"),)
        vk = vv.get("kind")
        body = ""
        fields = []
        if isinstance(vk, dict) and "tuple" in vk:
            parts = []
            for fid in vk["tuple"]:
                f = self.item(fid)
                parts.append("_" if f is None else self.ty(f["inner"].get("struct_field")))
            body = "(%s)" % ", ".join(parts)
        elif isinstance(vk, dict) and "struct" in vk:
            fields = vk["struct"].get("fields", [])
            if vk["struct"].get("has_stripped_fields"):
                body = " { .. }"
        elif vk not in ("plain", None):
            body = " " + self.placeholder("variant_kind", vk)
        disc = vv.get("discriminant")
        if disc:
            body += " = %s" % (disc.get("expr") or disc.get("value"))
        ne = " #[non_exhaustive]" if has_attr(v, "non_exhaustive") else ""
        self.emit("pub variant %s%s%s" % ("::".join(vpath), body, ne), enum_path, 1, (v.get("name"), 0))
        for fid in fields:
            f = self.item(fid)
            if f is None or is_doc_hidden(f):
                continue
            self.emit("pub field %s::%s: %s" % ("::".join(vpath), f.get("name"),
                                                 self.ty(f["inner"].get("struct_field"))),
                      enum_path, 1, (v.get("name"), 1, f.get("name")))

    def fn_line(self, name, f, extra_where=(), prefix="pub ", provided=False):
        sig = f.get("sig") or {}
        g = f.get("generics")
        args = []
        for pname, t in sig.get("inputs", []):
            if pname == "self":
                if t == {"generic": "Self"}:
                    args.append("self")
                    continue
                if isinstance(t, dict) and "borrowed_ref" in t and \
                        t["borrowed_ref"].get("type") == {"generic": "Self"}:
                    br = t["borrowed_ref"]
                    args.append("&%s%sself" % (br["lifetime"] + " " if br.get("lifetime") else "",
                                              "mut " if br.get("is_mutable") else ""))
                    continue
            args.append("%s: %s" % (pname, self.ty(t)))
        if sig.get("is_c_variadic"):
            args.append("...")
        s = "%s%sfn %s%s(%s)" % (prefix, self.header(f.get("header") or {}), name,
                                 self.generics_decl(g), ", ".join(args))
        if sig.get("output") is not None:
            s += " -> " + self.ty(sig["output"])
        s += self.where_clause(g, extra=extra_where)
        if provided:
            s += " { ... }"
        return s

    def impl_self_name(self, impl_v, owner_path):
        """`livedesk::Foo` / `livedesk::Foo<T>` / `&livedesk::Foo` for method paths."""
        return self.ty(impl_v.get("for"))

    def emit_impls(self, owner_item, impl_ids, owner_path):
        for iid in impl_ids:
            self.emit_impl(iid, owner_path, None)

    def emit_impl(self, iid, owner_path, section, allow_blanket=False):
        it = self.item(iid)
        if it is None or kind_of(it) != "impl" or is_doc_hidden(it):
            return
        im = it["inner"]["impl"]
        if im.get("blanket_impl") is not None and not allow_blanket:
            return
        self.emitted_impls.add(str(iid))
        tr = im.get("trait")
        g = im.get("generics")
        for_ty = self.ty(im.get("for"))
        if tr is None:
            # inherent impl: list its public associated items
            extra = self.impl_param_bounds_as_where(g) + \
                [self.where_pred(w) for w in (g or {}).get("where_predicates", [])]
            for mid in im.get("items", []):
                m = self.item(mid)
                if m is None or m.get("visibility") != "public" or is_doc_hidden(m):
                    continue
                mk = kind_of(m)
                mv = m["inner"][mk]
                mname = "%s::%s" % (for_ty, m.get("name"))
                if mk == "function":
                    self.emit(self.fn_line(mname, mv, extra), owner_path, 3, (m.get("name"),))
                elif mk == "assoc_const":
                    self.emit("pub const %s: %s" % (mname, self.ty(mv.get("type"))),
                              owner_path, 3, (m.get("name"),))
                elif mk == "assoc_type":
                    self.emit("pub type %s = %s" % (mname, self.ty(mv.get("type"))),
                              owner_path, 3, (m.get("name"),))
                else:
                    self.emit("pub %s %s %s" % (mk, mname, self.placeholder("impl item " + mk)),
                              owner_path, 3, (m.get("name"),))
            return
        # trait impl
        tr_id = tr.get("id")
        if self.is_local(tr_id) and str(tr_id) not in self.canonical:
            return  # impl of a private (e.g. sealed) trait: not nameable by users
        trait_path = self.path_of_id(tr_id, tr.get("path"))
        if im.get("is_synthetic") and trait_path in SKIPPED_AUTO_TRAITS:
            return
        if trait_path in SKIPPED_TRAITS:
            return
        s = "%simpl%s %s%s for %s%s" % ("unsafe " if im.get("is_unsafe") else "",
                                        self.generics_decl(g), "!" if im.get("is_negative") else "",
                                        self.path(tr), for_ty, self.where_clause(g))
        assoc = []
        for mid in im.get("items", []):
            m = self.item(mid)
            if m is None:
                continue
            mk = kind_of(m)
            mv = m["inner"][mk]
            if mk == "assoc_type" and mv.get("type") is not None:
                assoc.append("type %s%s = %s" % (m.get("name"), self.generics_decl(mv.get("generics")),
                                                 self.ty(mv["type"])))
            elif mk == "assoc_const":
                assoc.append("const %s: %s" % (m.get("name"), self.ty(mv.get("type"))))
        if assoc:
            s += " { %s }" % "; ".join(sorted(assoc))
        if section is None:
            section = 5 if im.get("is_synthetic") else 4
        self.emit(s, owner_path, section)

    def emit_trait(self, path, v, it):
        name = "::".join(path)
        g = v.get("generics")
        sup = v.get("bounds") or []
        s = "pub %s%strait %s%s%s%s" % ("unsafe " if v.get("is_unsafe") else "",
                                        "auto " if v.get("is_auto") else "", name,
                                        self.generics_decl(g),
                                        ": " + self.bounds(sup) if sup else "", self.where_clause(g))
        self.emit(s, path)
        for mid in v.get("items", []):
            m = self.item(mid)
            if m is None or is_doc_hidden(m):
                continue
            mk = kind_of(m)
            mv = m["inner"][mk]
            mname = "%s::%s" % (name, m.get("name"))
            if mk == "function":
                line = self.fn_line(mname, mv, provided=bool(mv.get("has_body")))
            elif mk == "assoc_type":
                line = "pub type %s%s" % (mname, self.generics_decl(mv.get("generics")))
                if mv.get("bounds"):
                    line += ": " + self.bounds(mv["bounds"])
                line += self.where_clause(mv.get("generics"))
                if mv.get("type") is not None:
                    line += " = " + self.ty(mv["type"])
            elif mk == "assoc_const":
                line = "pub const %s: %s" % (mname, self.ty(mv.get("type")))
                if mv.get("value") is not None:
                    line += " = ..."
            else:
                line = "pub %s %s %s" % (mk, mname, self.placeholder("trait item " + mk))
            self.emit(line, path, 3, (m.get("name"),))


# ---------------------------------------------------------------------- listing I/O
def make_listing(json_path):
    with open(json_path, encoding="utf-8") as fh:
        data = json.load(fh)
    fv = data.get("format_version")
    if fv not in SUPPORTED_FORMAT_VERSIONS:
        print("warning: rustdoc JSON format_version %s (this script was written for %s)"
              % (fv, sorted(SUPPORTED_FORMAT_VERSIONS)), file=sys.stderr)
    r = Renderer(data)
    lines = r.run()
    for p in sorted(r.problems):
        print("warning: could not render %s" % p, file=sys.stderr)
    return lines, data


def read_listing(path):
    with open(path, encoding="utf-8") as fh:
        return [l.rstrip("\n").rstrip("\r") for l in fh
                if not l.startswith("#") and l.strip()]


# ---------------------------------------------------------------------- semver
OWNER_RE = re.compile(r"^pub (struct|union|variant|enum|trait|unsafe trait|auto trait|unsafe auto trait) "
                      r"([A-Za-z0-9_:]+)")


def owners(lines):
    """path -> (kind, line) for structs, unions, variants, enums, traits."""
    out = {}
    for l in lines:
        m = OWNER_RE.match(l)
        if m:
            out[m.group(2)] = (m.group(1), l)
    return out


def member_owner(line):
    """For `pub field X::f: T`, `pub variant E::V..`, `pub fn T::m(..)`, return (kind, owner)."""
    if line.startswith("pub field "):
        head = line[len("pub field "):].split(": ", 1)[0]
        return "field", head.rsplit("::", 1)[0]
    m = re.match(r"^pub variant ([A-Za-z0-9_:]+)", line)
    if m:
        return "variant", m.group(1).rsplit("::", 1)[0]
    m = re.match(r"^pub (?:[a-z]+ |extern \"[^\"]*\" )*(fn|type|const) ([A-Za-z0-9_:]+)", line)
    if m and "::" in m.group(2):
        return "trait_item", m.group(2).rsplit("::", 1)[0]
    return None, None


def _path_token(text):
    """The leading path of `text`, e.g. `livedesk::Foo<T>::bar` from `livedesk::Foo<T>::bar(..)`."""
    out, i, n = [], 0, len(text)
    while i < n:
        m = re.match(r"[A-Za-z0-9_]+", text[i:])
        if not m:
            break
        out.append(m.group(0))
        i += m.end()
        if text.startswith("<", i):          # generic args of a path segment
            depth, j = 0, i
            while j < n:
                depth += {"<": 1, ">": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            if not text.startswith("::", j):
                break                        # generics of the item itself: not part of the name
            out.append(text[i:j])
            i = j
        if text.startswith("::", i):
            out.append("::")
            i += 2
        else:
            break
    return "".join(out)


def identity(line):
    """The item a line is about, ignoring attributes and details, to pair changed lines."""
    m = OWNER_RE.match(line)
    if m:
        return ("owner", m.group(2))
    kind, owner = member_owner(line)
    if kind == "field":
        return ("field", line[len("pub field "):].split(": ", 1)[0])
    if kind == "variant":
        return ("variant", re.match(r"^pub variant ([A-Za-z0-9_:]+)", line).group(1))
    if line.startswith(("impl", "unsafe impl")):
        s = re.sub(r"^(unsafe )?impl", "", line)
        if s.startswith("<"):
            depth, j = 0, 0
            while j < len(s):
                depth += {"<": 1, ">": -1}.get(s[j], 0)
                j += 1
                if depth == 0:
                    break
            s = s[j:]
        s = s.strip().lstrip("!").split(" where ")[0].split(" { ")[0]
        return ("impl", "impl " + s)
    m = re.match(r"^pub (?:[a-z]+ |extern \"[^\"]*\" )*?(fn|type|const|static|mod|use|macro|trait) (.*)$",
                 line)
    if m:
        return (m.group(1), _path_token(m.group(2)))
    return ("line", line)


def classify(old, new):
    """Return (removed, added, reasons, breaking)."""
    old_set, new_set = set(old), set(new)
    removed = [l for l in old if l not in new_set]
    added = [l for l in new if l not in old_set]
    old_owners = owners(old)
    reasons = []
    new_by_id = {}
    for l in added:
        new_by_id.setdefault(identity(l), []).append(l)
    for l in removed:
        ident = identity(l)
        repl = new_by_id.get(ident)
        if repl:
            old_ne = "#[non_exhaustive]" in l
            new_ne = any("#[non_exhaustive]" in r for r in repl)
            if old_ne != new_ne and l.replace(" #[non_exhaustive]", "") == \
                    repl[0].replace(" #[non_exhaustive]", ""):
                reasons.append("%s %s #[non_exhaustive]" % (ident[1], "gained" if new_ne else "lost"))
            else:
                reasons.append("changed: %s" % ident[1])
        else:
            reasons.append("removed: %s" % l)
    for l in added:
        kind, owner = member_owner(l)
        if kind is None or owner not in old_owners:
            continue
        okind, oline = old_owners[owner]
        if identity(l) in {identity(r) for r in removed}:
            continue  # already reported as a change
        if kind == "field" and okind in ("struct", "variant", "union"):
            if "#[non_exhaustive]" not in oline and "{ .. }" not in oline:
                reasons.append("field added to exhaustive %s %s: %s" % (okind, owner, l))
        elif kind == "variant" and okind == "enum":
            if "#[non_exhaustive]" not in oline:
                reasons.append("variant added to exhaustive enum %s: %s" % (owner, l))
        elif kind == "trait_item" and okind.endswith("trait"):
            if not (l.endswith("{ ... }") or " = " in l):
                reasons.append("item without default added to trait %s: %s" % (owner, l))
    return removed, added, reasons, bool(reasons)


def report(old, new, out=sys.stdout):
    removed, added, reasons, breaking = classify(old, new)
    for l in removed:
        print("- " + l, file=out)
    for l in added:
        print("+ " + l, file=out)
    if breaking:
        print("breaking because:", file=out)
        for r in reasons:
            print("  " + r, file=out)
        print("public API: breaking (%d removed, %d added)" % (len(removed), len(added)), file=out)
    elif added:
        print("public API: additive (%d added)" % len(added), file=out)
    else:
        print("public API: unchanged", file=out)
    return breaking


# ---------------------------------------------------------------------- CLI
def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(argv) >= 2 else 2
    cmd = argv[1]
    if cmd == "list" and len(argv) in (3, 4):
        lines, data = make_listing(argv[2])
        out = sys.stdout
        if len(argv) == 4:
            if argv[3] != "--header":
                print("unknown option %s" % argv[3], file=sys.stderr)
                return 2
            root = data["index"][str(data["root"])]
            out.write("# public API of %s %s (rustdoc JSON format %s)\n"
                      "# regenerate: bash .ci/public-api --bless\n"
                      % (root.get("name"), data.get("crate_version") or "", data.get("format_version")))
        out.write("".join(l + "\n" for l in lines))
        return 0
    if cmd == "semver" and len(argv) == 4:
        return 1 if report(read_listing(argv[2]), read_listing(argv[3])) else 0
    if cmd == "check" and len(argv) == 4:
        lines, _ = make_listing(argv[2])
        snap = read_listing(argv[3])
        if lines == snap:
            print("public API matches %s (%d lines)" % (argv[3], len(lines)))
            return 0
        sys.stdout.writelines(difflib.unified_diff([l + "\n" for l in snap], [l + "\n" for l in lines],
                                                   fromfile=argv[3], tofile="current", n=1))
        print()
        report(snap, lines)
        print("the public API differs from %s: update the snapshot if the change is intended"
              % argv[3])
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BrokenPipeError:
        sys.exit(1)
