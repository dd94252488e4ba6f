"""Helpers for driving the admin's forms in tests: post back what a page shows, with changes."""


def _field_values(bound_field):
    """What a browser submits for one bound field, as a list of strings ([] when nothing)."""
    value = bound_field.value()
    widget = bound_field.field.widget
    if getattr(widget, "input_type", None) == "checkbox" or bound_field.field.__class__.__name__ == "BooleanField":
        return ["on"] if value else []
    if value is None:
        return [""]
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return [str(value)]


def _form_data(form, data):
    for bound_field in form:
        values = _field_values(bound_field)
        key = bound_field.html_name
        if values:
            data[key] = values if len(values) > 1 else values[0]
        if bound_field.field.show_hidden_initial:  # fields with callable defaults post their initial value too
            data[bound_field.html_initial_name] = values[0] if values else ""


def change_form_data(response, **changes):
    """The POST data of an admin change/add page as rendered, updated with `changes`.

    Keys of `changes` are the form's field names (inline fields with their prefix, e.g.
    `claims-0-text_en`). A value of None removes the key.
    """
    context = response.context
    data = {}
    _form_data(context["adminform"].form, data)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        _form_data(formset.management_form, data)
        for form in formset.forms:
            _form_data(form, data)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def add_inline_row(data, prefix, **fields):
    """Append one new row to an inline formset's POST data; return its index."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    for name, value in fields.items():
        data[f"{prefix}-{index}-{name}"] = value
    return index


def form_errors(response):
    """Every error on an admin page: {"field": [...]} for the form, {"prefix-i-field": [...]} for inlines."""
    context = response.context
    errors = {key: [str(e) for e in value] for key, value in context["adminform"].form.errors.items()}
    for inline in context["inline_admin_formsets"]:
        for form in inline.formset.forms:
            for key, value in form.errors.items():
                errors[f"{form.prefix}-{key}"] = [str(e) for e in value]
        for error in inline.formset.non_form_errors():
            errors.setdefault(f"{inline.formset.prefix}-__all__", []).append(str(error))
    return errors


def change_url(profile):
    return f"/admin/profiles/profile/{profile.pk}/change/"


def post_change(client, url, **changes):
    """Open an admin change page, then post it back with `changes`; return the response."""
    return client.post(url, change_form_data(client.get(url), **changes))


def move(client, profile, to_status, *, version=None, note=""):
    """Press a workflow button on the profile's page."""
    profile.refresh_from_db()
    return client.post(
        f"/admin/profiles/profile/{profile.pk}/transition/",
        {"to_status": to_status, "version": profile.version if version is None else version, "note": note},
    )


def messages_of(response):
    return [str(message) for message in response.context["messages"]] if response.context else []
