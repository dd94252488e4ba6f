"""The REST API, version 1: thin DRF views and serializers over the registry's modules.

Visibility comes from `profiles.visibility`, writes from `profiles.editing`,
`profiles.publishing` and `profiles.interchange`; nothing here decides a rule.
"""
