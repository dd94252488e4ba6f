"""Output shapes declared once: the response and the OpenAPI component come from one list.

A `Shape` is a named list of fields. Each field says where its value comes from — a
path on the object (`"evidence.url"`), or a function of the object and the request's
`Reading` — and what it is in the schema (its kind: `String`, `Text`, `Date`, `Many`…).
From that one list:

* `shape.build(obj, r)` makes the dict the response holds. It is compiled once from the
  fields into a function returning one dict display, as `dataclasses` writes `__init__`:
  each field is one attribute read or call, and the related objects a shape reads from
  (a link's evidence record) are read once into locals. So a field costs what it cost in
  hand-written builders; DRF's per-field serializer machinery costs several times that,
  and a changes page holds tens of thousands of fields. `shape.code` shows the source.
* `shape.serializer` is a DRF serializer class with the same fields, read-only, for
  drf-spectacular only: the OpenAPI component named after the shape. It never runs.

Adding a field to a shape adds it to both; the schema and the output cannot drift.

Builders read only what the object holds (the views prefetch the `visible_*` lists), so
they run no queries. `r` is the request's `reading.Reading`: `r.text(obj, name)` reads a
translated field in the request's language (`r.text(obj, name, transform)` passes it
through `transform` in that language); `Computed` fields may call its other methods.
The shapes themselves are in `representation`.
"""

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")

TEXT_SCHEMA = {
    "oneOf": [
        {"type": "string", "description": "the text in the chosen language (or the other one)"},
        {
            "type": "object",
            "description": "with lang=all: the text in each language that has one",
            "properties": {"en": {"type": "string"}, "zh-hans": {"type": "string"}},
            "additionalProperties": False,
        },
    ]
}


@extend_schema_field(TEXT_SCHEMA)
class TextSchemaField(serializers.Field):
    """A bilingual text: a string, or with lang=all an object by language (schema only)."""


# The conversions the generated builders call: JSON-ready values, as DRF's fields give them.

DATETIME = serializers.DateTimeField()


def _str(value):
    return None if value is None else str(value)


def _date(value):
    return value.isoformat() if value else None


def _datetime(value):
    return DATETIME.to_representation(value) if value else None


class _Code:
    """The source of one builder while it is written: its locals and the names it calls."""

    def __init__(self):
        self.lines = []
        self.names = {"_str": _str, "_date": _date, "_datetime": _datetime}
        self._locals = {}

    def read(self, path):
        """An expression for `obj.<path>`; the related objects on the way are read once."""
        if path is None:
            return "obj"
        *via, last = path.split(".")
        return f"{self.local('.'.join(via)) if via else 'obj'}.{last}"

    def local(self, path):
        """A local holding `obj.<path>`, assigned before the dict is built."""
        if path not in self._locals:
            name = self._locals[path] = f"_{len(self._locals)}"
            self.lines.append(f"{name} = {self.read(path)}")
        return self._locals[path]

    def name(self, value, hint):
        """A global name for a function the builder calls (`hint` makes the source readable)."""
        name = f"_{hint}_{len(self.names)}"
        self.names[name] = value
        return name


class Field:
    """One key of a shape. `source` is a dotted path on the object (default: the name)."""

    schema_class = serializers.CharField
    convert = "_str"  # the conversion applied to the value read

    def __init__(self, name, source=None, *, null=False, help=None):
        if source is not None and not PATH.fullmatch(source):
            raise ValueError(f"{name}: not an attribute path: {source!r}")
        self.name = name
        self.source = source or name
        self.null = null
        self.help = help

    def expression(self, code):
        return f"{self.convert}({code.read(self.source)})"

    def schema(self):
        """The DRF field describing it in the schema (a new one each time: DRF binds fields)."""
        return self.schema_class(**self.schema_options())

    def schema_options(self):
        options = {"read_only": True}
        if self.null:
            options["allow_null"] = True
        if self.help:
            options["help_text"] = self.help
        return options


class String(Field):
    """A string; with `blank_as_null`, an empty value is null; with `choices`, an enum in the schema."""

    def __init__(self, name, source=None, *, blank_as_null=False, choices=None, **options):
        super().__init__(name, source, **options)
        self.blank_as_null = blank_as_null
        self.null = self.null or blank_as_null
        self.choices = choices

    def expression(self, code):
        if self.blank_as_null:
            return f"({code.read(self.source)} or None)"
        return super().expression(code)

    def schema(self):
        if self.choices is not None:
            return serializers.ChoiceField(choices=self.choices, **self.schema_options())
        return super().schema()


class Integer(Field):
    schema_class = serializers.IntegerField

    def expression(self, code):
        return code.read(self.source)


class Boolean(Field):
    schema_class = serializers.BooleanField
    convert = "bool"


class Date(Field):
    schema_class = serializers.DateField
    convert = "_date"


class DateTime(Field):
    schema_class = serializers.DateTimeField
    convert = "_datetime"


class Text(Field):
    """A translated field: `source`'s last part names it (`"evidence.title"`: the record's title).

    `transform` (e.g. Markdown to HTML) runs on the text in the request's language.
    """

    schema_class = TextSchemaField

    def __init__(self, name, source=None, *, transform=None, **options):
        super().__init__(name, source, **options)
        self.transform = transform

    def expression(self, code):
        *via, column = self.source.split(".")
        owner = code.local(".".join(via)) if via else "obj"
        if self.transform is None:
            return f"r.text({owner}, {column!r})"
        return f"r.text({owner}, {column!r}, {code.name(self.transform, 'transform')})"


class Ids(Field):
    """The ids of a list of records (e.g. the sources an item cites)."""

    def expression(self, code):
        return f"[item.pk for item in {code.read(self.source)}]"

    def schema(self):
        return serializers.ListField(child=serializers.IntegerField(), **self.schema_options())


class Strings(Field):
    """A list of strings; with `each`, that attribute of each item."""

    def __init__(self, name, source=None, *, each=None, **options):
        super().__init__(name, source, **options)
        if each is not None and not PATH.fullmatch(each):
            raise ValueError(f"{name}: not an attribute path: {each!r}")
        self.each = each

    def expression(self, code):
        item = f"item.{self.each}" if self.each else "item"
        return f"[_str({item}) for item in {code.read(self.source)}]"

    def schema(self):
        return serializers.ListField(child=serializers.CharField(), **self.schema_options())


class Nested(Field):
    """Another shape, from `source` (default: the object itself).

    `null`: null when the source is None. `when`: null unless this attribute of the object is true.
    """

    def __init__(self, name, shape, source=None, *, when=None, **options):
        super().__init__(name, source, **options)
        if when is not None and not PATH.fullmatch(when):
            raise ValueError(f"{name}: not an attribute path: {when!r}")
        self.shape = shape
        self.from_object = source is None
        self.when = when
        self.null = self.null or when is not None

    def expression(self, code):
        build = code.name(self.shape.build, self.shape.name)
        if self.null and self.when is None:
            value = code.local(self.source)  # read once: tested, then built from
            return f"(None if {value} is None else {build}({value}, r))"
        value = "obj" if self.from_object else code.read(self.source)
        if self.when is not None:
            return f"({build}({value}, r) if {code.read(self.when)} else None)"
        return f"{build}({value}, r)"

    def schema(self):
        return self.shape.serializer(**self.schema_options())


class Many(Field):
    """A list of another shape, one per item of `source`."""

    def __init__(self, name, shape, source=None, **options):
        super().__init__(name, source, **options)
        self.shape = shape

    def expression(self, code):
        return f"[{code.name(self.shape.build, self.shape.name)}(item, r) for item in {code.read(self.source)}]"

    def schema(self):
        return self.shape.serializer(many=True, **self.schema_options())


class Computed(Field):
    """A JSON-ready value worked out when read; `schema` is the DRF field class describing it.

    `read` is a function of (obj, r), or the name of a `Reading` method (a path from the
    reading), called with `source` (a path on the object; the object itself by default):
    `Computed("grade", "grade", source="score")` is `r.grade(obj.score)`.
    """

    def __init__(self, name, read, schema=serializers.CharField, *, source=None, **options):
        super().__init__(name, source, **options)
        self.read = read
        self.from_object = source is None
        self.schema_class = schema
        if isinstance(read, str) and not PATH.fullmatch(read):
            raise ValueError(f"{name}: not a method path: {read!r}")

    def expression(self, code):
        value = "obj" if self.from_object else code.read(self.source)
        if isinstance(self.read, str):
            return f"r.{self.read}({value})"
        return f"{code.name(self.read, self.name)}({value}, r)"


class Shape:
    """A representation: its fields in order, its builder and its schema component.

    `prepare`, if given, names the `Reading` method that gives the reading the fields are
    read with, from the object (a profile's knows the keys of its sources, which its
    claims' citations show).
    """

    def __init__(self, name, fields, *, doc=None, prepare=None):
        names = [field.name for field in fields]
        if len(set(names)) != len(names):
            raise ValueError(f"{name}: a field name twice: {names}")
        if prepare is not None and not prepare.isidentifier():
            raise ValueError(f"{name}: not a method name: {prepare!r}")
        self.name = name
        self.fields = tuple(fields)
        self.doc = doc
        self.prepare = prepare
        self.build, self.code = self._compile()
        self.serializer = self._serializer()

    def extended(self, name, fields, *, doc=None, prepare=None):
        """A new shape: these fields added, one with a name already there replacing it in place."""
        added = {field.name: field for field in fields}
        kept = [added.pop(field.name, field) for field in self.fields]
        return Shape(name, [*kept, *added.values()], doc=doc, prepare=prepare or self.prepare)

    def build_many(self, objects, r):
        """The representations of these objects, in order."""
        build = self.build
        return [build(obj, r) for obj in objects]

    def _compile(self):
        code = _Code()
        prepare = [f"r = r.{self.prepare}(obj)"] if self.prepare else []
        items = [f"{field.name!r}: {field.expression(code)}" for field in self.fields]
        body = [*prepare, *code.lines, "return {" + ", ".join(items) + "}"]
        source = "def build(obj, r):\n" + "".join(f"    {line}\n" for line in body)
        namespace = dict(code.names)
        # Only our own declarations reach the source: names and paths are checked above.
        exec(compile(source, f"<shape {self.name}>", "exec"), namespace)
        build = namespace["build"]
        build.__name__ = build.__qualname__ = f"build_{self.name}"
        return build, source

    def _serializer(self):
        attrs = {field.name: field.schema() for field in self.fields}
        attrs.update(__doc__=self.doc, __module__=__name__)
        return type(f"{self.name}Serializer", (serializers.Serializer,), attrs)

    def __repr__(self):
        return f"<Shape {self.name}: {', '.join(field.name for field in self.fields)}>"
