"""Stage 1, the contract: vocabulary, fields, row models, validation, the case, the template.

The validated `Case` (`inputs.case`) is what every later stage reads.
"""
