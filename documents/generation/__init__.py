"""Generated documents: what each kind shows, the version of its data, and the render
jobs that turn that data into a stored PDF.

A document's context is plain data (strings, numbers, lists, dicts) built from the
case, its product, pathway, parties and history. Its SHA-256 over canonical JSON is
the `data_version`: the same data always gives the same version, so the unique key
(case, kind, data_version) of RenderJob makes a second request, or a task delivered
twice, produce no second document. Nothing about a particular product or country is
written here: every clinical and regulatory fact comes from the catalogue and the
pathway; the pack's sections come from `Pathway.forms`, each a template.

Modules: `formatting` (deterministic text), `parts` (what several documents
show), one module per document's data, `papers` (which document, its version and
its PDF), `jobs` (claiming and running a render job, and its task), `requests`
(asking for a render, the handler and the sweep).

Flow: `request_render` (inside the caller's transaction) records the job and enqueues
the task on commit; the task calls `render_job_run`, which claims the job with a
conditional UPDATE, renders outside any transaction, and stores the result in a
short one.
"""
