"""`reverse()` remembered: the same name and arguments give the same address for as long as the
URL configuration, the script prefix and the language stay the same.

`reverse()` walks the URL resolver on every call (25-45 µs: namespaces, converters, three
thread-local look-ups). The shell's navigation reverses every entry the member sees (15-20) on
every page and `{% url %}` a few more: close to a millisecond of each page's CPU for addresses
that never change while the process runs. Only names and arguments that are plain strings and
integers are remembered (a bounded LRU); anything else goes through `reverse()` as before, and a
name that does not reverse raises `NoReverseMatch` every time (exceptions are not remembered)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse
from django.urls.resolvers import URLResolver
from django.utils.translation import get_language


@lru_cache(maxsize=4096)
def _remembered(
    name: str,
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
    current_app: str | None,
    _prefix: str,
    _language: str | None,
    resolver: URLResolver,
) -> str:
    # `resolver` is the one `reverse()` would use: `clear_url_caches()` (a changed
    # ROOT_URLCONF) builds a new one, so no address of the old configuration is ever returned.
    return reverse(
        name,
        urlconf=resolver.urlconf_name,  # type: ignore[arg-type]  # a module path or a module
        args=args,
        kwargs=dict(kwargs),
        current_app=current_app,
    )


def _plain(value: Any) -> bool:
    # A string (a template's literals are SafeStrings: equal to and hashed as the same str) or
    # an integer; not a bool (True == 1 would share 1's entry) nor a lazy string.
    return isinstance(value, str) or type(value) is int


def cached_reverse(
    name: str,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    current_app: str | None = None,
) -> str:
    """`reverse(name, args=args, kwargs=kwargs, current_app=current_app)`, remembered."""
    kwargs = kwargs or {}
    if (
        isinstance(name, str)
        and (current_app is None or isinstance(current_app, str))
        and all(_plain(arg) for arg in args)
        and all(_plain(value) for value in kwargs.values())
    ):
        return _remembered(
            name,
            tuple(args),
            tuple(sorted(kwargs.items())),
            current_app,
            get_script_prefix(),
            get_language(),
            get_resolver(get_urlconf()),
        )
    return reverse(name, args=args, kwargs=dict(kwargs), current_app=current_app)


def name_reverser() -> Callable[[str], str]:
    """`cached_reverse` for names without arguments, the script prefix, language and URL
    configuration read once (a page's navigation reverses 15-20 names in a row)."""
    context = (get_script_prefix(), get_language(), get_resolver(get_urlconf()))
    return lambda name: _remembered(name, (), (), None, *context)
