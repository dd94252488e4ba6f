"""The REST API, version 1: thin DRF views and serializers over the registry's modules.

Visibility comes from `profiles.rules.visibility`, writes from `profiles.services.editing`,
`profiles.services.publishing` and `profiles.interchange.service`; nothing here decides a rule.
"""
