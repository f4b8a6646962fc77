"""The execution engine: compute a batch of one experiment's cases concurrently.

Per case: prompt -> cache lookup -> budget reservation -> rate limit -> provider call with
retries (circuit breaker) -> cache store -> prediction -> metrics. Each result goes to the
sink as soon as it exists, so raw rows are written while the batch is still running.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from parity.budget import Budget
from parity.cache import ResponseCache, cache_key
from parity.cases import EvalCase
from parity.config import Experiment
from parity.evals.metrics import METRICS
from parity.evals.tasks import TASKS
from parity.fixtures.providers import ChatRequest, Completion, ModelClient
from parity.pricing import cost_usd, price_for
from parity.prompts import load_template
from parity.ratelimit import RateLimiter
from parity.redaction import redact
from parity.results import ExampleResult
from parity.retry import CircuitBreaker, RetryPolicy

ResultSink = Callable[[ExampleResult], None]
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
        )
        for messages in task.requests(case.example, template, case.shots, experiment.task_options)
    ]


def estimate_tokens(request: ChatRequest) -> int:
    """A pre-call token estimate (characters / 4 plus the output budget) for limits and budget."""
    chars = sum(len(m["content"]) for m in request.messages)
    return chars // CHARS_PER_TOKEN + request.max_tokens


def score_completions(case: EvalCase, completions: Sequence[Completion]) -> ExampleResult:
    """Turn the completions of a case into one scored result (usage summed over requests)."""
    experiment = case.experiment
    task = TASKS.get(experiment.task)
    prediction, confidence = task.combine(
        case.example,
        [(task.parse(c.text, case.example), c.extra.get("mean_logprob")) for c in completions],
    )
    references = task.references(case.example)
    scores: dict[str, float] = {}
    for name in experiment.metrics:
        scores.update(METRICS.get(name).score(prediction, references))
    input_tokens = sum(c.input_tokens for c in completions)
    output_tokens = sum(c.output_tokens for c in completions)
    latency_ms = sum(c.latency_ms for c in completions)
    return ExampleResult(
        case=case,
        prediction=prediction,
        references=references,
        input_context=case.example.context,
        metrics=scores,
        latency_ms=latency_ms,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost_usd(experiment.model, input_tokens, output_tokens, latency_ms),
        cached=all(bool(c.extra.get("cached")) for c in completions),
        confidence=confidence,
        truncated=task.truncated(case.example, experiment.task_options),
    )


class BudgetRefused(Exception):
    """The spending cap does not allow this request; the case is skipped, not failed."""


@dataclass
class ClientGuard:
    """Pacing and failure state of one model client: rate limits, retries, circuit breaker."""

    limiter: RateLimiter
    policy: RetryPolicy
    breaker: CircuitBreaker
    requests_sent: int = 0


class Engine:
    """Runs batches for every experiment of a process, sharing one cache and one budget."""

    def __init__(
        self, cache: ResponseCache, budget: Budget, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.cache = cache
        self.budget = budget
        self._sleep = sleep
        self._guards: dict[int, ClientGuard] = {}
        self._lock = threading.Lock()

    def requests_sent(self) -> int:
        """Requests that reached a provider (attempts, retries included) in this process."""
        return sum(g.requests_sent for g in self._guards.values())

    def guard_for(self, client: ModelClient) -> ClientGuard:
        """The guard of ``client``, created from its options on first use."""
        with self._lock:
            if id(client) not in self._guards:
                options = client.options
                self._guards[id(client)] = ClientGuard(
                    limiter=RateLimiter(
                        options.get("requests_per_minute"), options.get("tokens_per_minute")
                    ),
                    policy=RetryPolicy(max_retries=int(options.get("max_retries", 5))),
                    breaker=CircuitBreaker(),
                )
            return self._guards[id(client)]

    def run_batch(
        self, client: ModelClient, cases: Sequence[EvalCase], sink: ResultSink
    ) -> list[ExampleResult]:
        """Run ``cases`` with ``client.concurrency`` requests in flight; ``sink`` sees each result
        at once. Cases whose every request is cached are answered first, without threads."""
        results: list[ExampleResult] = []
        pending: list[EvalCase] = []
        for case in cases:
            cached = self.cached_result(client, case)
            if cached is None:
                pending.append(case)
            else:
                sink(cached)
                results.append(cached)
        if not pending:
            return results
        workers = max(1, min(client.concurrency, len(pending)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="parity") as pool:
            futures = {pool.submit(self.run_case, client, case): case for case in pending}
            for future in as_completed(futures):
                result = future.result()
                sink(result)
                results.append(result)
        return results

    def cached_result(self, client: ModelClient, case: EvalCase) -> ExampleResult | None:
        """The case's result when every one of its requests is in the cache, else None."""
        if self.cache.mode != "use":
            return None
        try:
            requests = build_requests(case.experiment, case)
        except Exception:
            return None  # run_case reports the error
        completions = []
        for request in requests:
            hit = self.cache.get(self._key(client, case.experiment, request))
            if hit is None:
                return None
            completions.append(hit)
        return score_completions(case, completions)

    @staticmethod
    def _key(client: ModelClient, experiment: Experiment, request: ChatRequest) -> str:
        return cache_key(
            experiment.model.provider, experiment.model.model, client.endpoint(), request
        )

    def run_case(self, client: ModelClient, case: EvalCase) -> ExampleResult:
        """Compute one case; never raises (errors and skips are part of the result)."""
        try:
            return self._run_case(client, case)
        except Exception as exc:
            return ExampleResult(
                case=case, error=redact(f"{type(exc).__name__}: {exc}", client.secrets())
            )

    def _run_case(self, client: ModelClient, case: EvalCase) -> ExampleResult:
        try:
            completions = [
                self._complete(client, case.experiment, r)
                for r in build_requests(case.experiment, case)
            ]
        except BudgetRefused as refused:
            return ExampleResult(case=case, skip_reason=str(refused))
        return score_completions(case, completions)

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
            completion = self.call(client, request)
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
        if price is None and experiment.model.provider != "local":
            return None
        tokens_in = estimate_tokens(request) - request.max_tokens
        return cost_usd(experiment.model, tokens_in, request.max_tokens, 0.0) or 0.0

    def call(self, client: ModelClient, request: ChatRequest) -> Completion:
        """Send ``request`` through the rate limiter with retries; raise ProviderCallError."""
        guard = self.guard_for(client)
        attempt = 0
        while True:
            guard.breaker.check()
            guard.limiter.acquire(estimate_tokens(request))
            guard.requests_sent += 1
            try:
                completion = client.complete(request)
            except Exception as exc:
                info = client.describe_failure(exc)
                message = redact(info.message, client.secrets())
                guard.breaker.record_failure(message)
                if not info.retryable or attempt >= guard.policy.max_retries:
                    tries = f" (after {attempt + 1} attempts)" if attempt else ""
                    raise ProviderCallError(f"{message}{tries}") from None
                self._sleep(guard.policy.delay(attempt, info.retry_after_s))
                attempt += 1
                continue
            guard.breaker.record_success()
            return completion


class ProviderCallError(RuntimeError):
    """A provider call failed for good (not retryable, or retries ran out)."""
