"""The execution engine: compute one case, from its requests to its scored result.

Per case: prompt -> cache lookup -> budget reservation -> endpoint pacing (in-flight limit,
rate limits, circuit breaker) -> provider call with retries -> cache store -> prediction ->
metrics. :mod:`parity.scheduler` decides which cases run when; this module runs one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from parity.budget import Budget
from parity.cache import ResponseCache, cache_key
from parity.cases import EvalCase
from parity.config import Experiment
from parity.evals.metrics import METRICS
from parity.evals.tasks import TASKS
from parity.fixtures.providers import PROVIDERS, ChatRequest, Completion, ModelClient
from parity.pacing import DEFAULT_THROTTLE_PAUSE_S, Lane, LaneKey
from parity.pricing import cost_usd, price_for
from parity.prompts import load_template
from parity.record import MODEL_STAGE, EvalRecord, StageUsage
from parity.redaction import redact
from parity.retry import DEFAULT_COOLDOWN_S

CHARS_PER_TOKEN = 4


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
        )
        for messages in task.requests(case.example, template, case.shots, experiment.task_options)
    ]


def without_secrets(completion: Completion, secrets: Sequence[str]) -> Completion:
    """The completion with any key it echoes (a proxy that reflects headers) redacted, before
    it reaches the cache, the raw rows or JUnit."""
    text = redact(completion.text, secrets)
    return completion if text == completion.text else replace(completion, text=text)


def estimate_tokens(request: ChatRequest) -> int:
    """A pre-call token estimate (characters / 4 plus the output budget) for limits and budget."""
    chars = sum(len(m["content"]) for m in request.messages)
    return chars // CHARS_PER_TOKEN + request.max_tokens


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
    case: EvalCase, requests: Sequence[ChatRequest], completions: Sequence[Completion]
) -> EvalRecord:
    """Turn the completions of a case into its scored record (usage summed over requests)."""
    experiment = case.experiment
    task = TASKS.get(experiment.task)
    prediction, confidence = task.combine(
        case.example,
        [(task.parse(c.text, case.example), c.extra.get("mean_logprob")) for c in completions],
    )
    references = task.references(case.example)
    scores: dict[str, float] = {}
    for name in experiment.metrics:
        scores.update(METRICS.get(name).score_example(prediction, references))
    input_tokens = sum(c.input_tokens for c in completions)
    output_tokens = sum(c.output_tokens for c in completions)
    latency_ms = sum(c.latency_ms for c in completions)
    usage = StageUsage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        latency_ms=latency_ms,
        cost_usd=cost_usd(experiment.model, input_tokens, output_tokens, latency_ms),
    )
    metadata: dict[str, Any] = {"cached": all(bool(c.extra.get("cached")) for c in completions)}
    subset = case.example.metadata.get("subset")
    if subset:
        metadata["subset"] = subset
    if task.truncated(case.example, experiment.task_options):
        metadata["truncated"] = True
    if experiment.repeats > 1:
        metadata["repeat"] = case.repeat
    return record_for(
        case,
        prompt=[[dict(m) for m in r.messages] for r in requests],
        raw_output=[c.text for c in completions],
        prediction=prediction,
        references=references,
        confidence=confidence,
        scores=scores,
        usage={MODEL_STAGE: usage},
        metadata=metadata,
    )


class BudgetRefused(Exception):
    """The spending cap does not allow this request; the case is skipped, not failed."""


class Engine:
    """Computes cases for every experiment of a process, sharing one cache, one budget and
    one :class:`~parity.pacing.Lane` per metered endpoint.

    ``share`` is the number of processes (xdist workers) that split each endpoint's limits.
    """

    def __init__(
        self,
        cache: ResponseCache,
        budget: Budget,
        share: int = 1,
        sleep: Callable[[float], None] = time.sleep,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
    ) -> None:
        self.cache = cache
        self.budget = budget
        self.share = share
        self.cooldown_s = cooldown_s
        self._sleep = sleep
        self._lanes: dict[LaneKey, Lane] = {}
        self._lock = threading.Lock()

    def lanes(self) -> list[Lane]:
        """Every endpoint lane used so far."""
        with self._lock:
            return list(self._lanes.values())

    def requests_sent(self) -> int:
        """Requests that reached a provider (attempts, retries included) in this process."""
        return sum(lane.requests_sent for lane in self.lanes())

    @staticmethod
    def lane_key(client: ModelClient) -> LaneKey:
        """What ``client``'s provider meters: provider, endpoint, key variable and model."""
        return LaneKey(
            client.provider,
            client.endpoint(),
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
        self, client: ModelClient, case: EvalCase, requests: Sequence[ChatRequest]
    ) -> list[Completion] | None:
        """The case's completions when every one of its requests is in the cache, else None."""
        if self.cache.mode != "use":
            return None
        completions = []
        for request in requests:
            hit = self.cache.get(self._key(client, case.experiment, request))
            if hit is None:
                return None
            completions.append(hit)
        return completions

    @staticmethod
    def _key(client: ModelClient, experiment: Experiment, request: ChatRequest) -> str:
        return cache_key(
            experiment.model.provider,
            experiment.model.model,
            client.endpoint(),
            request,
            client.options.get("extra_body"),
        )

    def run_case(
        self, client: ModelClient, case: EvalCase, requests: Sequence[ChatRequest]
    ) -> EvalRecord:
        """Compute one case from its built requests; never raises (errors and skips are part
        of the record)."""
        try:
            completions = [self._complete(client, case.experiment, r) for r in requests]
            return score_completions(case, requests, completions)
        except BudgetRefused as refused:
            return record_for(case, skip_reason=str(refused))
        except Exception as exc:
            return record_for(case, error=redact(f"{type(exc).__name__}: {exc}", client.secrets()))

    def _complete(
        self, client: ModelClient, experiment: Experiment, request: ChatRequest
    ) -> Completion:
        """One request: from the cache, or sent within the budget and stored in the cache."""
        key = self._key(client, experiment, request)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        estimate = self._estimate_cost(experiment, request)
        if estimate is None:
            raise BudgetRefused(
                f"--eval-max-cost is set but no price is known for {experiment.model.name}; set model.pricing"
            )
        if not self.budget.reserve(estimate):
            raise BudgetRefused(
                f"--eval-max-cost ${self.budget.cap_usd} reached (spent ${self.budget.spent_usd:.6f}); request not sent"
            )
        try:
            completion = without_secrets(self.call(client, request), client.secrets())
        except Exception:
            self.budget.settle(estimate, 0.0)
            raise
        actual = cost_usd(
            experiment.model,
            completion.input_tokens,
            completion.output_tokens,
            completion.latency_ms,
        )
        self.budget.settle(estimate, actual or 0.0)
        self.cache.put(key, completion)
        return completion

    def _estimate_cost(self, experiment: Experiment, request: ChatRequest) -> float | None:
        if self.budget.cap_usd is None:
            return 0.0
        price = price_for(experiment.model)
        if price is None and not PROVIDERS.get(experiment.model.provider).runs_locally:
            return None
        tokens_in = estimate_tokens(request) - request.max_tokens
        return cost_usd(experiment.model, tokens_in, request.max_tokens, 0.0) or 0.0

    def call(self, client: ModelClient, request: ChatRequest) -> Completion:
        """Send ``request`` through its endpoint's lane with retries; raise ProviderCallError.

        Retryable failures (429, 5xx, timeouts, dropped connections, malformed answers) are
        retried with backoff; a throttling answer also pauses the whole endpoint. A case that
        runs out of retries during an outage waits for the circuit breaker's probe instead of
        failing, up to the lane's outage tolerance.
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
            try:
                completion = client.complete(request)
            except Exception as exc:
                info = client.describe_failure(exc)
                throttle = info.retry_after_s
                if info.status == 429 and throttle is None:
                    throttle = DEFAULT_THROTTLE_PAUSE_S
                lane.flow.release_failure(throttle)
                message = redact(info.message, client.secrets())
                fatal = not info.retryable
                lane.breaker.record_attempt_failure(message, probe, fatal)
                if failing_since is None:
                    failing_since = lane.breaker.now()
                if probe and not fatal:
                    continue  # the endpoint is still down: wait for the next probe
                if not fatal and attempt < lane.policy.max_retries:
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


class ProviderCallError(RuntimeError):
    """A provider call failed for good (not retryable, or retries ran out)."""
