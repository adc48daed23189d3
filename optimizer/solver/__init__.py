"""The solve stage: a linear model in, values, duals and a SPEC status out.

``phases`` runs a run's solves (lexicographic priorities, cost, tie-break, clean plan,
integers fixed) on a solver session, through one ``PhaseRunner``: ``highs`` (in-process,
the default) or ``pulp`` (any solver PuLP drives), both keeping the protocol of
``session`` and stating there what they can give beyond a plan; ``lp_file`` writes the
model for another solver to read.
"""
