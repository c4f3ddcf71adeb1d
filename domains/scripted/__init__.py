"""What a domain's scripted rules are written with: the vocabulary the offline scripted agent and user share with every plug-in.

A plug-in's `scripted_agent` parses requests into `plans.Goal`s and resolves them into `plans.Plan`s
with reads from a `transcript.Knowledge`; its `scripted_user` words its records with `wording` and
`phrases`; its mistakes are classes of the `mistakes` catalogue, made with `slips`. The actors in
actors/scripted/ run these rules; a plug-in imports from here, never from actors/.
"""
