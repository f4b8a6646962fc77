"""The execution engine: compute one case, from its requests to its scored result.

Per case: (compression, cached like a model call) -> prompt -> cache lookup -> budget reservation -> endpoint pacing (in-flight limit,
rate limits, circuit breaker) -> provider call with retries -> cache store -> prediction ->
metrics -> (judges: each judge's request through the same steps, from the cache lookup on).
:mod:`parity.engine.scheduler` decides which cases run when; this module runs one.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from parity.cases.cases import EvalCase
from parity.config.config import Experiment, ModelConfig
from parity.config.judges import JudgeSpec
from parity.engine.budget import Budget
from parity.engine.call_process import CallProcess, RemoteCallFailed, sendable, sendable_class
from parity.engine.judging import (
    JudgeError,
    Judgement,
    describe,
    judge_request,
    read_judgement,
    record_values,
    with_judgements,
)
from parity.engine.pacing import DEFAULT_THROTTLE_PAUSE_S, Lane, LaneKey
from parity.engine.pricing import compression_cost, cost_usd, price_for
from parity.engine.redaction import redact
from parity.engine.retry import DEFAULT_COOLDOWN_S
from parity.evals.metrics import METRICS
from parity.evals.tasks import TASKS
from parity.fixtures.compressors import (
    Compression,
    CompressionError,
    Compressor,
    RemoteCompressor,
)
from parity.fixtures.providers import PROVIDERS, ChatRequest, Completion, ModelClient
from parity.fixtures.tokens import token_counter
from parity.prompts import load_template
from parity.record.cache import cache_key
from parity.record.caches import ResponseStore
from parity.record.record import COMPRESSION_STAGE, MODEL_STAGE, EvalRecord, StageUsage
from parity.record.scoring import finite, per_example_outputs

CHARS_PER_TOKEN = 4
ClientFor = Callable[[ModelConfig], ModelClient]  # a judge's model -> its (pooled) client


def build_requests(experiment: Experiment, case: EvalCase) -> list[ChatRequest]:
    """The provider-neutral requests for ``case`` (one, or one per window)."""
    task = TASKS.get(experiment.task)
    template = load_template(experiment.prompt)
    options = experiment.model.options
    return [
        ChatRequest(
            messages=tuple(messages),
            max_tokens=int(options.get("max_tokens", task.default_max_tokens)),
            temperature=float(options.get("temperature", 0.0)),
            logprobs=task.needs_confidence,
            repeat=case.repeat,
            choices=task.choices(case.example, experiment.task_options),
        )
        for messages in task.requests(case.example, template, case.shots, experiment.task_options)
    ]


def without_secrets(completion: Completion, secrets: Sequence[str]) -> Completion:
    """The completion with any key it echoes (a proxy that reflects headers) redacted, before
    it reaches the cache, the raw rows or JUnit."""
    text = redact(completion.text, secrets, sanitize_text=False)
    return completion if text == completion.text else replace(completion, text=text)


def with_context(case: EvalCase, compression: Compression | None) -> EvalCase:
    """``case`` with its context replaced by the compressed one (the prompt is built from
    it; tasks that cut windows, such as CUAD, cut them after compression)."""
    if compression is None:
        return case
    return replace(case, example=replace(case.example, context=compression.text))


def in_model_tokens(
    compression: Compression, case: EvalCase, client: ModelClient | None
) -> Compression:
    """``compression`` counted in the tokenizer of the model it feeds (``client``'s, or
    tiktoken's for an OpenAI model) where one is known; else as its compressor counted."""
    counter = token_counter(case.experiment.model, client)
    return compression if counter is None else compression.counted(counter, case.example.context)


def compression_key(compressor: Compressor, case: EvalCase) -> str:
    """The cache key of a compression: the compressor with its options, and its input."""
    payload = [compressor.identity(), case.example.context, case.example.question]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


def estimate_tokens(request: ChatRequest) -> int:
    """A pre-call token estimate (characters / 4 plus the output budget) for limits and budget."""
    chars = sum(len(m["content"]) for m in request.messages)
    return chars // CHARS_PER_TOKEN + request.max_tokens


def score_prediction(
    metrics: Sequence[str], prediction: str, references: Sequence[str]
) -> dict[str, float]:
    """Every per-example score of ``metrics`` for one prediction (corpus-level metrics score
    at aggregation instead; a judge's after the prediction); a NaN or infinite score raises
    ``NonFiniteScore``."""
    scores: dict[str, float] = {}
    for name in metrics:
        if METRICS.get(name).graded_by_model:
            continue
        returned = METRICS.get(name).score_example(prediction, references)
        scores.update(finite(name, returned, per_example_outputs(name)))
    return scores


def record_for(case: EvalCase, **values: Any) -> EvalRecord:
    """A record carrying ``case``'s identity and input, plus ``values``."""
    experiment = case.experiment
    return EvalRecord(
        experiment_id=experiment.id,
        example_id=case.example.id,
        example_index=case.index,
        model=experiment.model.name,
        question=case.example.question,
        input_context=case.example.context,
        **values,
    )


def score_completions(
    case: EvalCase,
    requests: Sequence[ChatRequest],
    completions: Sequence[Completion],
    compression: Compression | None = None,
) -> EvalRecord:
    """Turn the completions of a case into its scored record (usage summed over requests;
    a compression adds its own stage and measurements, and its text is the input context)."""
    experiment = case.experiment
    task = TASKS.get(experiment.task)
    prediction, confidence = task.combine(
        case.example,
        [(task.parse(c.text, case.example), c.extra.get("mean_logprob")) for c in completions],
    )
    references = task.references(case.example)
    scores = score_prediction(experiment.metrics, prediction, references)
    input_tokens = sum(c.input_tokens for c in completions)
    output_tokens = sum(c.output_tokens for c in completions)
    latency_ms = sum(c.latency_ms for c in completions)
    usage = StageUsage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        latency_ms=latency_ms,
        cost_usd=cost_usd(
            experiment.model, input_tokens, output_tokens, sum(c.compute_ms for c in completions)
        ),
    )
    metadata: dict[str, Any] = {"cached": all(bool(c.extra.get("cached")) for c in completions)}
    subset = case.example.metadata.get("subset")
    if subset:
        metadata["subset"] = subset
    if task.truncated(case.example, experiment.task_options):
        metadata["truncated"] = True
    if experiment.repeats > 1:
        metadata["repeat"] = case.repeat
    stages = {MODEL_STAGE: usage}
    measurements: dict[str, float] = {}
    if compression is not None:
        # Compression time and cost (its service's charge plus its compute time on this
        # machine at a compute-hour price) count in the item's totals (as in ScaleBench); its
        # token counts are measurements, so input_tokens stays what the model was sent.
        cost = compression_cost(experiment.model, compression.cost_usd, compression.compute_ms)
        stages = {COMPRESSION_STAGE: StageUsage(0, 0, compression.latency_ms, cost), **stages}
        metadata["tokens_unit"] = compression.tokens_unit
        measurements = {
            "original_tokens": compression.original_tokens,
            "compressed_tokens": compression.compressed_tokens,
            "compression_ratio": compression.ratio,
        }
    record = record_for(
        case,
        prompt=[[dict(m) for m in r.messages] for r in requests],
        raw_output=[c.text for c in completions],
        prediction=prediction,
        references=references,
        confidence=confidence,
        scores=scores,
        usage=stages,
        measurements=measurements,
        metadata=metadata,
    )
    if compression is not None:
        record.input_context = compression.text
    return record


class BudgetRefused(Exception):
    """The spending cap does not allow this request; the case is skipped, not failed."""


class Engine:
    """Computes cases for every experiment of a process, sharing one cache, one budget and
    one :class:`~parity.engine.pacing.Lane` per metered endpoint.

    ``share`` is the number of processes (xdist workers) that split each endpoint's limits.
    ``calls``, when given, sends the built-in API providers' requests from a helper process
    (:mod:`parity.engine.call_process`); everything else about a call stays here.
    """

    def __init__(
        self,
        cache: ResponseStore,
        budget: Budget,
        share: int = 1,
        sleep: Callable[[float], None] = time.sleep,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        calls: CallProcess | None = None,
    ) -> None:
        self.cache = cache
        self.calls = calls
        self.budget = budget
        self.share = share
        self.cooldown_s = cooldown_s
        self._sleep = sleep
        self._lanes: dict[LaneKey, Lane] = {}
        self._endpoints: dict[ModelClient, str] = {}
        self._lock = threading.Lock()
        self.compressions = 0  # contexts compressed (not taken from the cache) in this process

    def close(self) -> None:
        """Stop the helper process, if any (the cache and clients have their own owners)."""
        if self.calls is not None:
            self.calls.close()

    def start_call_process(self, experiments: Iterable[Experiment]) -> None:
        """Start the helper process now, before any client is made, when ``experiments``
        will likely send from it: it imports their SDKs (about a second) meanwhile, on
        another core. Does nothing when it runs already, or without it."""
        if self.calls is None or not self.cache.may_miss():
            return
        names = {experiment.model.provider for experiment in experiments}
        remote = [cls for n in names if n in PROVIDERS and sendable_class(cls := PROVIDERS.get(n))]
        if remote:
            self.calls.start(
                sorted({m for cls in remote if (m := getattr(cls, "sdk_module", None))})
            )

    def lanes(self) -> list[Lane]:
        """Every endpoint lane used so far."""
        with self._lock:
            return list(self._lanes.values())

    def requests_sent(self) -> int:
        """Requests that reached a provider (attempts, retries included) in this process."""
        return sum(lane.requests_sent for lane in self.lanes())

    def endpoint_of(self, client: ModelClient) -> str:
        """``client.endpoint()``; from the call process when it runs, so that this process
        does not import the SDK (about a second) while the child already has."""
        endpoint = self._endpoints.get(client)
        if endpoint is None:
            if self.calls is not None and sendable(client):
                endpoint = self.calls.endpoint(client)
            if endpoint is None:
                endpoint = client.endpoint()
            self._endpoints[client] = endpoint
        return endpoint

    def lane_key(self, client: ModelClient) -> LaneKey:
        """What ``client``'s provider meters: provider, endpoint, key variable and model."""
        return LaneKey(
            client.provider,
            self.endpoint_of(client),
            client.key_variable(client.options) or "",
            client.model,
        )

    def lane_for(self, client: ModelClient) -> Lane:
        """The lane of ``client``'s endpoint, created from its options on first use."""
        key = self.lane_key(client)
        with self._lock:
            if key not in self._lanes:
                self._lanes[key] = Lane.create(
                    key, client.options, client.concurrency, self.share, self.cooldown_s
                )
            return self._lanes[key]

    def cached_completions(
        self, wanted: Sequence[tuple[ModelClient, EvalCase, Sequence[ChatRequest]]]
    ) -> list[list[Completion] | None]:
        """For each (client, case, requests): the case's completions when every one of its
        requests is in the cache, else None. One cache query for many cases."""
        if self.cache.mode != "use":
            return [None] * len(wanted)
        keys = [
            [self._key(client, case.experiment.model, request) for request in requests]
            for client, case, requests in wanted
        ]
        found = self.cache.get_many([key for case_keys in keys for key in case_keys])
        answers: list[list[Completion] | None] = []
        for case_keys in keys:
            if all(key in found for key in case_keys):
                answers.append([found[key] for key in case_keys])
            else:
                answers.append(None)
        self.cache.count_hits(sum(len(a) for a in answers if a is not None))
        return answers

    def cached_compression(
        self, compressor: Compressor, case: EvalCase, client: ModelClient | None = None
    ) -> Compression | None:
        """The case's compression when the cache holds it, else None; counted in the
        tokenizer of ``client``'s model where one is known."""
        if self.cache.mode != "use":
            return None
        hit = self.cache.get(compression_key(compressor, case))
        if hit is None:
            return None
        compression = Compression(
            text=hit.text, original_tokens=hit.input_tokens, compressed_tokens=hit.output_tokens,
            latency_ms=hit.latency_ms, cost_usd=hit.extra.get("cost_usd"),
            tokens_unit=compressor.tokens_unit,
            compute_ms=hit.extra.get("compute_ms") if compressor.computes_here else None,
        )  # fmt: skip
        return in_model_tokens(compression, case, client)

    def compress(
        self, compressor: Compressor, case: EvalCase, client: ModelClient | None = None
    ) -> Compression:
        """Compress the case's context (from the cache, else computed and stored). The cache
        holds a compression as the compressor's completion: its text, the original and the
        compressed token counts in its own unit, latency, cost and compute time (0 for one
        that computed elsewhere, and read only from a compressor that computes here, as an
        entry stored before compute time was kept holds its latency). The answer is counted in
        the tokenizer of ``client``'s model where one is known."""
        cached = self.cached_compression(compressor, case, client)
        if cached is not None:
            return cached
        context, question = case.example.context, case.example.question
        if isinstance(compressor, RemoteCompressor):  # paced, retried and budgeted like a model
            request = compressor.request(context, question)
            compression = self._remote_compression(compressor, request, context)
        else:
            compression = compressor.compress(context, question)
        if not compression.text.strip() and context.strip():
            raise CompressionError(f"{compressor.name} returned an empty context")
        with self._lock:
            self.compressions += 1
        stored = Completion(compression.text, compression.original_tokens,
                            compression.compressed_tokens, compression.latency_ms,
                            extra={"cost_usd": compression.cost_usd,
                                   "compute_ms": compression.compute_ms or 0.0})  # fmt: skip
        self.cache.put(compression_key(compressor, case), stored)
        return in_model_tokens(compression, case, client)

    def _remote_compression(
        self, compressor: RemoteCompressor, request: ChatRequest, context: str
    ) -> Compression:
        """One remote compression within the ``--parity-max-cost`` budget."""
        estimate = 0.0
        if self.budget.cap_usd is not None:
            estimate_or_none = compressor.estimate_cost(request)
            if estimate_or_none is None:
                raise BudgetRefused(
                    f"--parity-max-cost is set but no price is known for the {compressor.name} "
                    "compressor's model; set its price in configs/pricing.yaml"
                )
            estimate = estimate_or_none
            if not self.budget.reserve(estimate):
                raise BudgetRefused(
                    f"--parity-max-cost ${self.budget.cap_usd} reached (spent "
                    f"${self.budget.spent_usd:.6f}); compression not sent"
                )
        try:
            client = compressor.client
            completion = without_secrets(self.call(client, request), client.secrets())
            compression = compressor.result(completion, context)
        except Exception:
            self.budget.settle(estimate, 0.0)
            raise
        self.budget.settle(estimate, compression.cost_usd or 0.0)
        return compression

    def _key(self, client: ModelClient, model: ModelConfig, request: ChatRequest) -> str:
        return cache_key(
            model.provider,
            model.model,
            self.endpoint_of(client),
            request,
            client.cache_fields(),
        )

    def run_case(
        self,
        client: ModelClient,
        case: EvalCase,
        requests: Sequence[ChatRequest] | None,
        compressor: Compressor | None = None,
        compression: Compression | None = None,
        judge_client: ClientFor | None = None,
    ) -> EvalRecord:
        """Compute one case from its built requests (None: compress first, then build them),
        then its judges' grades (their clients from ``judge_client``); never raises (errors
        and skips are part of the record)."""
        try:
            if requests is None:
                if compressor is not None:
                    compression = self.compress(compressor, case, client)
                requests = build_requests(case.experiment, with_context(case, compression))
            model = case.experiment.model
            completions = [self.complete(client, model, r) for r in requests]
            record = score_completions(case, requests, completions, compression)
            if case.experiment.judges:
                record = self.grade(case.experiment.judges, record, judge_client)
            return record
        except BudgetRefused as refused:
            return record_for(case, skip_reason=str(refused))
        except Exception as exc:
            return record_for(case, error=redact(f"{type(exc).__name__}: {exc}", client.secrets()))

    def grade(
        self, judges: Sequence[JudgeSpec], record: EvalRecord, client_for: ClientFor | None
    ) -> EvalRecord:
        """The judge step: ``record`` graded by each of ``judges`` (:meth:`judge`)."""
        if client_for is None:
            raise JudgeError(f"{describe(judges[0])}: no client for the judge's model")
        values = record_values(record)
        return with_judgements(record, [self.judge(j, values, client_for) for j in judges])

    def judge(self, judge: JudgeSpec, values: dict[str, str], client_for: ClientFor) -> Judgement:
        """One judgement: the judge's request for ``values`` sent as a model's is
        (:meth:`complete`: cache, budget, lane, retries, breaker) and read on its scale. A
        failed call or an answer without a grade raises :class:`JudgeError` naming the
        judge; a pairwise judgement is two of these, its answers swapped in ``values``."""
        client = client_for(judge.model)
        try:
            completion = self.complete(client, judge.model, judge_request(judge, values))
        except BudgetRefused:
            raise
        except Exception as exc:
            message = redact(f"{type(exc).__name__}: {exc}", client.secrets())
            raise JudgeError(f"{describe(judge)}: {message}") from None
        return read_judgement(judge, completion)

    def complete(self, client: ModelClient, model: ModelConfig, request: ChatRequest) -> Completion:
        """One request: from the cache, or sent within the budget and stored in the cache."""
        key = self._key(client, model, request)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        estimate = self._estimate_cost(model, request)
        if estimate is None:
            raise BudgetRefused(
                f"--parity-max-cost is set but no price is known for {model.name}; set model.pricing"
            )
        if not self.budget.reserve(estimate):
            raise BudgetRefused(
                f"--parity-max-cost ${self.budget.cap_usd} reached (spent ${self.budget.spent_usd:.6f}); request not sent"
            )
        try:
            completion = without_secrets(self.call(client, request), client.secrets())
        except Exception:
            self.budget.settle(estimate, 0.0)
            raise
        actual = cost_usd(
            model, completion.input_tokens, completion.output_tokens, completion.compute_ms
        )
        self.budget.settle(estimate, actual or 0.0)
        self.cache.put(key, completion)
        return completion

    def _estimate_cost(self, model: ModelConfig, request: ChatRequest) -> float | None:
        if self.budget.cap_usd is None:
            return 0.0
        price = price_for(model)
        if price is None and not PROVIDERS.get(model.provider).runs_locally:
            return None
        tokens_in = estimate_tokens(request) - request.max_tokens
        return cost_usd(model, tokens_in, request.max_tokens, 0.0) or 0.0

    def call(self, client: ModelClient, request: ChatRequest) -> Completion:
        """Send ``request`` through its endpoint's lane with retries; raise ProviderCallError.

        Retryable failures (429, 5xx, timeouts, dropped connections, malformed answers) are
        retried with backoff; a throttling answer also pauses the whole endpoint. A case that
        runs out of retries during an outage waits for the circuit breaker's probe instead of
        failing, up to the lane's outage tolerance; retries other than a throttle's stop once
        the endpoint has answered nothing for that long, so a dead endpoint ends a case after
        about ``outage_tolerance_s``, not after every retry's whole deadline.
        """
        lane = self.lane_for(client)
        attempt = 0
        failing_since: float | None = None
        while True:
            probe = lane.breaker.admit()
            lane.limiter.acquire(estimate_tokens(request))
            lane.flow.acquire()
            with self._lock:
                lane.requests_sent += 1
            sent_at = lane.breaker.now()
            try:
                completion = self._send(client, request)
            except Exception as exc:
                info = (
                    exc.info if isinstance(exc, RemoteCallFailed) else client.describe_failure(exc)
                )
                throttle = info.retry_after_s
                if info.status == 429 and throttle is None:
                    throttle = DEFAULT_THROTTLE_PAUSE_S
                lane.flow.release_failure(throttle)
                message = redact(info.message, client.secrets())
                fatal = not info.retryable
                # unanswered since it was sent: a timeout counts from the send, not its end
                lane.breaker.record_attempt_failure(message, probe, fatal, since=sent_at)
                if failing_since is None:
                    failing_since = sent_at
                if probe and not fatal:
                    continue  # the endpoint is still down: wait for the next probe
                paced = info.status == 429 or info.retry_after_s is not None
                if (
                    not fatal
                    and attempt < lane.policy.max_retries
                    and (paced or not lane.breaker.outage_outlasted(failing_since))
                ):
                    if lane.on_retry_wait is not None:
                        lane.on_retry_wait()
                    self._sleep(lane.policy.delay(attempt, throttle))
                    attempt += 1
                    with self._lock:
                        lane.retries += 1
                    continue
                if lane.breaker.record_case_failure(message, fatal, failing_since):
                    attempt = 0  # an outage: wait for the probe, then start over
                    continue
                tries = f" (after {attempt + 1} attempts)" if attempt else ""
                raise ProviderCallError(f"{message}{tries}") from None
            lane.flow.release_success()
            lane.breaker.record_success(probe)
            return completion

    def _send(self, client: ModelClient, request: ChatRequest) -> Completion:
        if self.calls is not None and sendable(client):
            return self.calls.complete(client, request)
        return client.complete(request)


class ProviderCallError(RuntimeError):
    """A provider call failed for good (not retryable, or retries ran out)."""
