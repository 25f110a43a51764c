"""Deployment definitions and schedules.

`met_formulier` gives a deployment the Dutch form staff fill in when they click *Run*.
"""

from __future__ import annotations

import inspect

from prefect.deployments.runner import RunnerDeployment
from prefect.utilities.callables import ParameterSchema
from pydantic import BaseModel

from models.regels.toegang import SYSTEEM


def met_formulier(
    deployment: RunnerDeployment, flow, formulier: type[BaseModel], keuzes: dict[str, list[str]] | None = None,
) -> RunnerDeployment:
    """Show `formulier` (a pydantic model with a Dutch title and help text per field) as the run
    form of `deployment`. Prefect 3.8.8 titles every flow parameter with its Python name and drops
    a `Field(title=...)` in the signature, and both UIs add "(Optional)" to every field that is not
    required: so the form is the model's own schema, every field required (a default fills it in).
    The model's fields must be the flow's parameters, so the two cannot drift apart. `keuzes`:
    the choices of a text field that come from the settings (municipality names)."""
    parameters = list(inspect.signature(flow.fn).parameters)
    if parameters != list(formulier.model_fields):
        raise TypeError(f"formulier {formulier.__name__} {list(formulier.model_fields)} != parameters {parameters}")
    schema = formulier.model_json_schema()
    schema["required"] = [p for p in parameters if p in schema["properties"]]
    if "door" in parameters:
        # Who does it is no form field (flows.acties.uw_naam): the gateway puts the logged-in
        # account in `door` of every deployment that has it as a default parameter.
        deployment.parameters = {**deployment.parameters, "door": SYSTEEM}
    for naam, opties in (keuzes or {}).items():
        schema["properties"][naam]["enum"] = opties
    schema.pop("title", None)
    schema.pop("description", None)
    # No public setter in 3.8.8. Every key set explicitly: the deployment is sent with
    # exclude_unset, and without "type": "object" the classic UI shows only a JSON box.
    deployment._parameter_openapi_schema = ParameterSchema(
        title="Parameters", type="object", properties=schema["properties"], required=schema["required"], definitions=schema.get("$defs", {}),
    )
    return deployment
