"""Templates compiled once per locale, with their constant translations written in.

`{{ _("企业管理") }}` costs about 7 µs a render at runtime (a context call, Flask-Babel's lookup,
Markup, a %-format), and a 50-row page holds hundreds of them. A call whose message is a
literal has the same answer on every render in a given locale, so it is translated once, when
the template is compiled: `_("literal")` and `gettext("literal")` become the translated text
(a Markup under autoescape, as Jinja's newstyle gettext returns, so the text is output exactly
as before), and `_("… %(n)s", n=x)` becomes the translated format string %-formatted at runtime
(its arguments still escaped under autoescape). `ngettext`, `pgettext`, a message that is not a
literal, and `*args`/`**kwargs` calls stay runtime calls, as do the calls of a scope that
assigns `_` or `gettext` (macros/forms.html's `{% set _ = attrs.update(...) %}`).

Each template is therefore compiled once per locale, and Jinja's template cache holds each
locale's compilation under its own key: (locale, loader, name), the locale being the current
one as web/i18n.locale_name() tells it, inside `force_locale` too (emails in their recipient's
language). Auto-reload (TEMPLATES_AUTO_RELOAD) checks each compilation against its file as
before.

A filter whose output depends on the locale can be bound the same way (`add_locale_filter`):
`|datetime` in a template compiled for zh_CN calls zh_CN's formatter directly instead of asking
for the current locale once a value (0.1 ms on a 50-row page).
"""
import typing as t

from flask.templating import Environment as FlaskEnvironment
from flask_babel import get_translations
from jinja2 import nodes
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from webapp.web.i18n import locale_name

GETTEXT = frozenset({"_", "gettext"})
# The nodes that open a scope: a name assigned in one is seen in it only.
SCOPES = (nodes.Template, nodes.Block, nodes.Macro, nodes.CallBlock, nodes.For, nodes.With,
          nodes.Scope, nodes.OverlayScope)


class LocaleEnvironment(FlaskEnvironment):
    """Flask's template environment, compiling each template per locale (app.jinja_environment)."""

    def __init__(self, app, **options):
        super().__init__(app, **options)
        if self.bytecode_cache is not None:
            # Jinja keys its bytecode by name and source: one locale's would serve the other.
            raise ValueError("a bytecode cache would mix the locales' compilations")
        self.cache = _keyed(self.cache)
        self.locale_filters: dict[str, dict[str, str]] = {}  # locale → {filter: its binding}

    def add_locale_filter(self, name: str, locale: str, fn: t.Callable) -> None:
        """Bind `|name` to `fn` in the templates compiled for `locale` (the plain `name`
        filter serves the other locales)."""
        bound = f"{name}@{locale}"
        self.filters[bound] = fn
        self.locale_filters.setdefault(locale, {})[name] = bound

    def overlay(self, **options):
        """Jinja's overlay, with a locale-keyed cache of its own (or none, as asked)."""
        asked = "cache_size" in options
        overlay = super().overlay(**options if asked else {**options, "cache_size": 0})
        # Jinja would copy ours as an LRU of its capacity; a dict has none.
        overlay.cache = _keyed(overlay.cache if asked else None if self.cache is None else {})
        return overlay

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        """Jinja's compile, after the constant translations of the current locale are written
        into the template's tree."""
        if isinstance(source, str):
            source = self.parse(source, name, filename)
        # The catalogue of the current locale, the one locale_name() names and the cache keys
        # this compilation by: the portal selects and forces only the locales it speaks.
        bake(source, get_translations().ugettext)
        _FilterBinder(self.locale_filters.get(locale_name(), {})).visit(source)
        source.set_environment(self)
        return super().compile(source, name, filename, raw=raw, defer_init=defer_init)


class LocaleKeyedCache(dict):
    """Jinja's template cache with the current locale in every key: Jinja looks a template up
    and stores it by (loader, name), this by (locale, loader, name). A plain dict, not Jinja's
    LRU (a lock and a queue update on every lookup, and a page looks up each template it
    includes or imports): the names are the portal's own templates, a bounded set."""

    def get(self, key, default=None):
        return super().get((locale_name(), key), default)

    def __getitem__(self, key):
        return super().__getitem__((locale_name(), key))

    def __setitem__(self, key, value):
        super().__setitem__((locale_name(), key), value)

    def __delitem__(self, key):
        super().__delitem__((locale_name(), key))

    def __contains__(self, key):
        return super().__contains__((locale_name(), key))


def _keyed(cache):
    """Jinja's cache keyed by locale (None: no cache, every load compiles for the current
    locale)."""
    if cache is None or isinstance(cache, LocaleKeyedCache):
        return cache
    return LocaleKeyedCache()


def bake(tree: nodes.Template, gettext: t.Callable[[str], str]) -> nodes.Template:
    """Replace, in place, the gettext calls of `tree` whose message is a literal by their
    translation with `gettext` (see the module)."""
    return _Baker(gettext).visit(tree)


class _Baker(NodeTransformer):
    def __init__(self, gettext: t.Callable[[str], str]):
        self.gettext = gettext
        self.shadowed: frozenset[str] = frozenset()  # gettext names assigned in this scope

    def generic_visit(self, node, *args, **kwargs):
        if not isinstance(node, SCOPES):
            return super().generic_visit(node, *args, **kwargs)
        outer = self.shadowed
        self.shadowed = outer | (_assigned_in(node) & GETTEXT)
        try:
            return super().generic_visit(node, *args, **kwargs)
        finally:
            self.shadowed = outer

    def visit_Call(self, node: nodes.Call) -> nodes.Expr:
        node = self.generic_visit(node)  # a literal call among the arguments first
        callee, args = node.node, node.args
        if (not isinstance(callee, nodes.Name) or callee.ctx != "load"
                or callee.name not in GETTEXT or callee.name in self.shadowed
                or len(args) != 1 or not isinstance(args[0], nodes.Const)
                or not isinstance(args[0].value, str) or node.dyn_args or node.dyn_kwargs):
            return node
        translation = self.gettext(args[0].value)
        lineno = node.lineno
        if not node.kwargs:
            # Jinja formats the translation with no arguments ("100%%" is "100%"): done here,
            # unless it fails or Markup's escaping would change it (then it stays at runtime).
            text = _formatted(translation)
            if text is None:
                return node
            return nodes.MarkSafeIfAutoescape(nodes.Const(text, lineno=lineno), lineno=lineno)
        keys = [keyword.key for keyword in node.kwargs]
        if len(set(keys)) != len(keys):
            return node
        variables = nodes.Dict([nodes.Pair(nodes.Const(kw.key, lineno=lineno), kw.value,
                                           lineno=lineno) for kw in node.kwargs], lineno=lineno)
        format_string = nodes.MarkSafeIfAutoescape(nodes.Const(translation, lineno=lineno),
                                                   lineno=lineno)
        return nodes.Mod(format_string, variables, lineno=lineno)


class _FilterBinder(NodeTransformer):
    """Rename, in place, the filters the current locale binds (`add_locale_filter`)."""

    def __init__(self, bound: dict[str, str]):
        self.bound = bound

    def visit_Filter(self, node: nodes.Filter) -> nodes.Filter:
        node = self.generic_visit(node)
        node.name = self.bound.get(node.name, node.name)
        return node


def _formatted(translation: str) -> str | None:
    """`translation % {}`, as Jinja's gettext formats it, when plain and Markup agree."""
    try:
        plain, marked = translation % {}, Markup(translation) % {}
    except (TypeError, ValueError, KeyError):
        return None
    return plain if plain == str(marked) else None


def _assigned_in(scope: nodes.Node) -> set[str]:
    """The names a scope assigns itself (not those of the scopes inside it): its loop target,
    its macro's arguments, a {% set %}, an import's or a macro's name."""
    names: set[str] = set()
    stack = list(scope.iter_child_nodes())
    while stack:
        node = stack.pop()
        if isinstance(node, nodes.Name) and node.ctx in ("store", "param"):
            names.add(node.name)
        elif isinstance(node, nodes.Import):
            names.add(node.target)
        elif isinstance(node, nodes.FromImport):
            names.update(n[1] if isinstance(n, tuple) else n for n in node.names)
        elif isinstance(node, nodes.Macro):
            names.add(node.name)
        if isinstance(node, nodes.Macro | nodes.CallBlock):
            continue  # its arguments and body are its own scope
        if isinstance(node, SCOPES):
            # A loop's target is the loop's; With's targets too: both open their own scope.
            continue
        stack.extend(node.iter_child_nodes())
    return names
