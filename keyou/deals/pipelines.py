"""Configuring pipelines, their stages and the lost reasons (admins: the manage-rules capability)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext_noop

from keyou.audit.models import AuditAction
from keyou.audit.services import audit
from keyou.deals.models import Deal, LostReason, Pipeline, Stage, StageKind
from keyou.deals.sop import sop_clean
from keyou.deals.stages import (
    DEFAULT_LOST_REASONS,
    DEFAULT_PIPELINE,
    DEFAULT_STAGES,
    REQUIRABLE,
)
from keyou.errors import UserFixableError
from keyou.people.access import Actor, require
from keyou.people.models import Capability


class InvalidPipeline(UserFixableError):
    """A pipeline or stage change that cannot be made; the message says why."""


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


def _name(text: str) -> str:
    name = " ".join((text or "").split())
    if not name:
        raise InvalidPipeline(gettext_noop("a name cannot be empty"))
    if len(name) > 120:
        raise InvalidPipeline(gettext_noop("a name can hold at most 120 characters"))
    return name


def _stages_add(pipeline: Pipeline, specs: Sequence[tuple]) -> None:
    Stage.objects.bulk_create(
        Stage(
            pipeline=pipeline,
            name=name,
            position=i,
            kind=kind,
            probability=probability,
            required_fields=list(required),
            sop=[dict(task, checklist=list(task["checklist"])) for task in sop],
            stall_days=stall,
        )
        for i, (name, kind, probability, required, sop, stall) in enumerate(specs)
    )


@transaction.atomic
def pipeline_default_install() -> Pipeline:
    """Return the default pipeline, creating the B2B one and the lost reasons if there are none.

    Safe to run again: an existing default pipeline (renamed or edited) is kept, and
    the lost reasons are installed only while there are none.
    """
    if not LostReason.objects.exists():
        LostReason.objects.bulk_create(
            LostReason(name=name, position=i) for i, name in enumerate(DEFAULT_LOST_REASONS)
        )
    found = Pipeline.objects.filter(is_default=True).first()
    if found is not None:
        return found
    first = Pipeline.objects.order_by("position", "id").first()
    if first is not None:  # pipelines made by hand, none marked: the first one is it
        first.is_default = True
        first.save(update_fields=["is_default"])
        return first
    pipeline = Pipeline.objects.create(name=DEFAULT_PIPELINE, is_default=True)
    _stages_add(pipeline, DEFAULT_STAGES)
    return pipeline


@transaction.atomic
def pipeline_create(*, actor: Actor, name: str, copy_default: bool = True) -> Pipeline:
    """Add a pipeline named NAME; with COPY_DEFAULT it starts with the default B2B stages."""
    require(actor, Capability.MANAGE_RULES)
    name = _name(name)
    if Pipeline.objects.filter(name__iexact=name).exists():
        raise InvalidPipeline(gettext_noop("there is already a pipeline named %(name)s"), name=name)
    position = (Pipeline.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    pipeline = Pipeline.objects.create(
        name=name, position=position, is_default=not Pipeline.objects.exists()
    )
    if copy_default:
        _stages_add(pipeline, DEFAULT_STAGES)
    else:
        _stages_add(
            pipeline,
            [
                (gettext_noop("Lead"), StageKind.OPEN, 10, [], [], None),
                (gettext_noop("Paid"), StageKind.WON, 100, [], [], None),
                (gettext_noop("Lost"), StageKind.LOST, 0, [], [], None),
            ],
        )
    audit(actor, AuditAction.CREATE, obj=pipeline, data={"name": name})
    return pipeline


@transaction.atomic
def pipeline_update(
    *, actor: Actor, pipeline: Pipeline, name: str | None = None, is_default: bool | None = None
) -> Pipeline:
    """Rename PIPELINE and/or make it the default (the one the board opens on)."""
    require(actor, Capability.MANAGE_RULES)
    fields = []
    if name is not None:
        name = _name(name)
        if Pipeline.objects.filter(name__iexact=name).exclude(pk=pipeline.pk).exists():
            raise InvalidPipeline(
                gettext_noop("there is already a pipeline named %(name)s"), name=name
            )
        pipeline.name = name
        fields.append("name")
    if is_default:
        Pipeline.objects.exclude(pk=pipeline.pk).update(is_default=False)
        pipeline.is_default = True
        fields.append("is_default")
    if fields:
        pipeline.save(update_fields=fields)
        audit(actor, AuditAction.CHANGE, obj=pipeline, data={"fields": fields})
    return pipeline


@transaction.atomic
def pipeline_delete(*, actor: Actor, pipeline: Pipeline) -> None:
    """Remove PIPELINE and its stages; refuse while it holds deals or is the default."""
    require(actor, Capability.MANAGE_RULES)
    if Deal.objects.filter(pipeline=pipeline).exists():
        raise InvalidPipeline(gettext_noop("this pipeline still holds deals"))
    pipeline.refresh_from_db(fields=["is_default"])
    if pipeline.is_default:
        raise InvalidPipeline(gettext_noop("make another pipeline the default first"))
    audit(actor, AuditAction.DELETE, obj=pipeline, data={"name": pipeline.name})
    pipeline.delete()


def _required_clean(fields: Iterable[str]) -> list[str]:
    out = []
    for field in fields or []:
        if field not in REQUIRABLE:
            raise InvalidPipeline(
                gettext_noop("a stage can require only: %(choices)s"),
                choices=", ".join(REQUIRABLE),
            )
        if field not in out:
            out.append(field)
    return out


@transaction.atomic
def stage_add(
    *,
    actor: Actor,
    pipeline: Pipeline,
    name: str,
    kind: str = StageKind.OPEN,
    probability: int = 0,
) -> Stage:
    """Add a stage at the end of PIPELINE's open stages (before its won and lost ones)."""
    require(actor, Capability.MANAGE_RULES)
    if kind not in StageKind.values:
        raise InvalidPipeline(gettext_noop("unknown kind of stage"))
    stage = Stage(pipeline=pipeline, name=_name(name), kind=kind)
    _probability_set(stage, probability)
    stages = list(pipeline.stages.order_by("position", "id"))
    closed = [s for s in stages if s.kind != StageKind.OPEN]
    at = len(stages) - len(closed) if kind == StageKind.OPEN else len(stages)
    stages.insert(at, stage)
    try:
        with transaction.atomic():
            stage.position = at
            stage.save()
    except IntegrityError:
        raise InvalidPipeline(
            gettext_noop("this pipeline already has a stage named %(name)s"), name=stage.name
        ) from None
    _positions_write(stages)
    audit(actor, AuditAction.CREATE, obj=stage, data={"pipeline": pipeline.pk, "name": stage.name})
    return stage


def _probability_set(stage: Stage, probability: Any) -> None:
    try:
        value = int(probability)
    except (TypeError, ValueError):
        value = -1
    if not 0 <= value <= 100:
        raise InvalidPipeline(gettext_noop("a win probability is between 0 and 100"))
    stage.probability = value


def _positions_write(stages: list[Stage]) -> None:
    for i, stage in enumerate(stages):
        if stage.position != i:
            stage.position = i
            Stage.objects.filter(pk=stage.pk).update(position=i)


@transaction.atomic
def stage_update(
    *,
    actor: Actor,
    stage: Stage,
    name: str | None = None,
    kind: str | None = None,
    probability: int | None = None,
    required_fields: Iterable[str] | None = None,
    sop: Iterable[dict] | None = None,
    stall_days: int | None | _Unset = UNSET,
) -> Stage:
    """Change STAGE's name, kind, win probability, required fields, tasks on entry or stall days.

    STALL_DAYS None means never stalled. A stage holding deals keeps its kind.
    """
    require(actor, Capability.MANAGE_RULES)
    fields = []
    if name is not None:
        stage.name = _name(name)
        fields.append("name")
    if kind is not None and kind != stage.kind:
        if kind not in StageKind.values:
            raise InvalidPipeline(gettext_noop("unknown kind of stage"))
        if Deal.objects.filter(stage=stage).exists():
            raise InvalidPipeline(gettext_noop("a stage holding deals keeps its kind"))
        stage.kind = kind
        fields.append("kind")
    if probability is not None:
        _probability_set(stage, probability)
        fields.append("probability")
    if required_fields is not None:
        stage.required_fields = _required_clean(required_fields)
        fields.append("required_fields")
    if sop is not None:
        stage.sop = sop_clean(sop)
        fields.append("sop")
    if not isinstance(stall_days, _Unset):
        if stall_days is not None and not 1 <= int(stall_days) <= 3650:
            raise InvalidPipeline(gettext_noop("a deal stalls after 1 to 3650 days"))
        stage.stall_days = int(stall_days) if stall_days is not None else None
        fields.append("stall_days")
    if fields:
        try:
            with transaction.atomic():
                stage.save(update_fields=fields)
        except IntegrityError:
            raise InvalidPipeline(
                gettext_noop("this pipeline already has a stage named %(name)s"), name=stage.name
            ) from None
        audit(actor, AuditAction.CHANGE, obj=stage, data={"fields": fields})
    return stage


@transaction.atomic
def stages_reorder(*, actor: Actor, pipeline: Pipeline, stage_ids: Sequence[int]) -> list[Stage]:
    """Put PIPELINE's stages in the order of STAGE_IDS (which must name each of them once)."""
    require(actor, Capability.MANAGE_RULES)
    stages = {s.pk: s for s in pipeline.stages.all()}
    ids = [int(i) for i in stage_ids]
    if sorted(ids) != sorted(stages):
        raise InvalidPipeline(gettext_noop("name every stage of the pipeline once"))
    ordered = [stages[i] for i in ids]
    _positions_write(ordered)
    audit(actor, AuditAction.CHANGE, obj=pipeline, data={"order": ids})
    return ordered


@transaction.atomic
def stage_move(*, actor: Actor, stage: Stage, by: int) -> list[Stage]:
    """Move STAGE BY places up (negative) or down (positive) in its pipeline."""
    ordered = list(stage.pipeline.stages.order_by("position", "id"))
    i = next(n for n, s in enumerate(ordered) if s.pk == stage.pk)
    j = max(0, min(len(ordered) - 1, i + by))
    ordered.insert(j, ordered.pop(i))
    return stages_reorder(actor=actor, pipeline=stage.pipeline, stage_ids=[s.pk for s in ordered])


@transaction.atomic
def stage_delete(*, actor: Actor, stage: Stage) -> None:
    """Remove STAGE; refuse while deals are in it, or if it is the pipeline's last open stage."""
    require(actor, Capability.MANAGE_RULES)
    if Deal.objects.filter(stage=stage).exists():
        raise InvalidPipeline(
            gettext_noop("the stage %(name)s still holds deals: move them first"), name=stage.name
        )
    if (
        stage.kind == StageKind.OPEN
        and not stage.pipeline.stages.filter(kind=StageKind.OPEN).exclude(pk=stage.pk).exists()
    ):
        raise InvalidPipeline(gettext_noop("a pipeline needs at least one open stage"))
    audit(actor, AuditAction.DELETE, obj=stage, data={"name": stage.name})
    pipeline = stage.pipeline
    stage.delete()
    _positions_write(list(pipeline.stages.order_by("position", "id")))


@transaction.atomic
def lost_reason_add(*, actor: Actor, name: str) -> LostReason:
    """Add a reason a deal can be lost for."""
    require(actor, Capability.MANAGE_RULES)
    name = _name(name)
    if LostReason.objects.filter(name__iexact=name).exists():
        raise InvalidPipeline(gettext_noop("there is already a reason named %(name)s"), name=name)
    position = (LostReason.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    reason = LostReason.objects.create(name=name, position=position)
    audit(actor, AuditAction.CREATE, obj=reason, data={"name": name})
    return reason


@transaction.atomic
def lost_reason_update(
    *, actor: Actor, reason: LostReason, name: str | None = None, active: bool | None = None
) -> LostReason:
    """Rename REASON, or take it out of (back into) use; deals lost for it keep it."""
    require(actor, Capability.MANAGE_RULES)
    if name is not None:
        name = _name(name)
        if LostReason.objects.filter(name__iexact=name).exclude(pk=reason.pk).exists():
            raise InvalidPipeline(
                gettext_noop("there is already a reason named %(name)s"), name=name
            )
        reason.name = name
    if active is not None:
        reason.active = active
    reason.save()
    audit(
        actor, AuditAction.CHANGE, obj=reason, data={"name": reason.name, "active": reason.active}
    )
    return reason


def pipelines_list() -> list[Pipeline]:
    """Return the pipelines (installing the default one first) with their stages."""
    pipeline_default_install()
    return list(Pipeline.objects.prefetch_related("stages").order_by("position", "id"))


def pipeline_get(ref: str | int | None = None) -> Pipeline:
    """Return the pipeline with id or name REF (None: the default), else raise InvalidPipeline."""
    default = pipeline_default_install()
    if ref in (None, ""):
        return default
    text = str(ref).strip()
    qs = Pipeline.objects.all()
    found = qs.filter(pk=int(text)).first() if text.isdigit() else None
    found = found or qs.filter(name__iexact=text).first()
    if found is None:
        raise InvalidPipeline(gettext_noop("no pipeline %(ref)s"), ref=text)
    return found
