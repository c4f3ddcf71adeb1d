"""A Gymnasium-style client of `cove serve`: `reset()` -> observation, info; `step(action)` -> observation, reward, terminated, truncated, info.

    env = CoveEnv("http://127.0.0.1:8080")
    messages, info = env.reset(seed=1)                 # [system, greeting, customer]; info: episode_id, tools, policy_seed
    while True:
        reply = my_policy(messages, info["tools"])      # an OpenAI assistant message: content, or tool_calls
        messages, reward, terminated, truncated, info = env.step(reply)
        if terminated or truncated:
            break                                       # reward: the verifier's score; info["verdict"]: the whole verdict

The observation is the agent's whole transcript in OpenAI chat format, the policy's own messages as
recorded. `reward` is 0.0 until the end, then the score (None for an unscored end: an idle timeout,
an abandoned episode, an infrastructure failure). `truncated`: the episode was cut off (turn limit,
idle timeout, abandoned) rather than ended by the customer or by the policy's own failure.
`CoveEnv.group(url, n, ...)` gives n environments over one task (a GRPO group).
"""

from __future__ import annotations

from typing import Any

import httpx

CUT_OFF = frozenset({"max_turns", "policy_timeout", "abandoned"})


class CoveEnvError(RuntimeError):
    """The server refused a request (its status and reason)."""


class CoveEnv:
    def __init__(self, base_url: str, *, timeout: float = 300.0, with_acts: bool = False, model: str | None = None, client: httpx.Client | None = None) -> None:
        self.client = client or httpx.Client(base_url=base_url, timeout=timeout)
        self.params = {"with_acts": "true"} if with_acts else {}
        self.model = model
        self.episode_id: str | None = None
        self.messages: list[dict[str, Any]] = []
        self.tools: list[dict[str, Any]] = []
        self.done = True

    @classmethod
    def group(cls, base_url: str, n: int, *, with_acts: bool = False, model: str | None = None, **reset: Any) -> list[tuple[CoveEnv, list[dict[str, Any]], dict[str, Any]]]:
        """n environments of one task (`reset`: seed, task_index, constraints, fuzz), each reset: [(env, observation, info)]."""
        first = cls(base_url, with_acts=with_acts, model=model)
        observations = first._post("/episodes", {"n": n, **reset})
        envs = [first] + [cls(base_url, client=first.client, with_acts=with_acts, model=model) for _ in observations[1:]]
        return [(env, *env._take(observation)) for env, observation in zip(envs, observations, strict=True)]

    def reset(self, *, seed: int | None = None, task_index: int | None = None, constraints: str | None = None, fuzz: str | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """A new episode (the next task of `seed`'s sequence, or `task_index`): its transcript so far, and info."""
        body = {key: value for key, value in dict(seed=seed, task_index=task_index, constraints=constraints, fuzz=fuzz).items() if value is not None}
        [observation] = self._post("/episodes", body)
        return self._take(observation)

    def step(self, action: dict[str, Any]) -> tuple[list[dict[str, Any]], float | None, bool, bool, dict[str, Any]]:
        """Play the policy's assistant message; the transcript after what followed, the reward, whether it ended, info."""
        if self.episode_id is None or self.done:
            raise CoveEnvError("step() needs an episode that is not done: call reset()")
        answer = self._post(f"/episodes/{self.episode_id}/step", {"message": action, **({"model": self.model} if self.model else {})})
        if answer.get("recorded") is not None:
            self.messages.append(answer["recorded"])
        self.messages += answer["messages"]
        return self._after(answer)

    def close(self) -> None:
        """Abandon the episode if it is still open (it ends unscored)."""
        if self.episode_id is not None and not self.done:
            self._send("DELETE", f"/episodes/{self.episode_id}")
            self.done = True

    def _take(self, observation: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        self.episode_id, self.tools, self.done = observation["episode_id"], observation["tools"], observation["done"]
        self.messages = [{"role": "system", "content": observation["system_prompt"]}, *observation["messages"]]
        return list(self.messages), {"episode_id": self.episode_id, "tools": self.tools, "task_index": observation.get("task_index"), "policy_seed": observation.get("policy_seed")}

    def _after(self, answer: dict[str, Any]) -> tuple[list[dict[str, Any]], float | None, bool, bool, dict[str, Any]]:
        self.done = answer["done"]
        reason = (answer.get("termination") or {}).get("reason")
        truncated = self.done and reason in CUT_OFF
        reward = answer["reward"] if self.done else 0.0
        info = {"episode_id": self.episode_id, "verdict": answer.get("verdict"), "termination": answer.get("termination"), "policy_seed": answer.get("policy_seed")}
        return list(self.messages), reward, self.done and not truncated, truncated, info

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        return self._send("POST", path, body)

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.client.request(method, path, json=body, params=self.params)
        if response.status_code >= 400:
            raise CoveEnvError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()
