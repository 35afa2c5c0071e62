"""The collected static files: hashed names, compressed, and ES module imports that name hashed files too.

The pages load plain ES modules (static/js, no build step) that import each other
by relative path. Django's manifest storage rewrites those imports only when
asked (`support_js_module_import_aggregation`); without it a hashed main.js would
import an unhashed store.js, which a browser may hold from before a deploy, and
run old and new code together. With it every module a page reaches is named by
its content, so a deploy is seen whole or not at all.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
