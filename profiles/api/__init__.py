"""The REST API, version 1: thin DRF views over the registry's modules.

Inputs are DRF serializers (`inputs`); outputs are shapes declared once (`representation`,
in the vocabulary of `shapes`), from which both the response and the OpenAPI schema come.

Visibility comes from `profiles.rules.visibility`, writes from `profiles.services.editing`,
`profiles.services.publishing` and `profiles.interchange.service`; nothing here decides a rule.
"""
