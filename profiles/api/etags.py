"""Entity tags: conditional reads (If-None-Match → 304) and safe writes (If-Match → 412/428).

A profile's resources (its detail and sub-resources) carry a strong tag
``"p<id>v<version>-<digest>"``: the profile's id and version, and a digest of
the representation, which differs by audience and language. `If-Match` compares
the id and version only, so the tag of any representation of the current version
of the profile (any language, any sub-resource) allows a write. Other reads are
tagged with the digest of their body.
"""

import hashlib
import re

from django.utils.http import parse_etags

from profiles.api.errors import PreconditionFailed, PreconditionRequired

PROFILE_TAG = re.compile(r'^"?p(\d+)v(\d+)-[0-9a-f]+"?$')


def digest(content):
    return hashlib.sha256(content).hexdigest()[:20]


def content_etag(content):
    return f'"{digest(content)}"'


def profile_etag(profile, content):
    return f'"p{profile.pk}v{profile.version}-{digest(content)}"'


def _tags(header):
    # parse_etags keeps W/ prefixes; a weak tag never matches If-Match, but does If-None-Match.
    return parse_etags(header or "")


def not_modified(request, etag):
    """Whether If-None-Match names this representation (weak comparison)."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = _tags(header)
    if "*" in tags:
        return True
    return any(tag.removeprefix("W/") == etag for tag in tags)


def expected_version(request, profile, *, required):
    """The profile version the caller's If-Match names, checked against `profile`.

    Raises PreconditionRequired when `required` and there is no If-Match, and
    PreconditionFailed when it names another profile or version. Returns the
    version to hand to the edit (which re-checks it under a row lock), or None.
    """
    header = request.headers.get("If-Match")
    if not header:
        if required:
            raise PreconditionRequired()
        return None
    tags = _tags(header)
    if "*" in tags:
        return profile.version
    for tag in tags:
        match = PROFILE_TAG.match(tag)
        if match and int(match[1]) == profile.pk and int(match[2]) == profile.version:
            return profile.version
    raise PreconditionFailed()
