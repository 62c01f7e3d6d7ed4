"""(being written) In-place methods: add_, sub_, mul_, div_, zero_, fill_, copy_, +=, __setitem__ ..."""
