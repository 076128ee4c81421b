"""Response shapes of the core API (pydantic), so the published OpenAPI says what the server answers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Message(BaseModel):
    vi: str
    en: str


class ErrorDetail(BaseModel):
    code: str
    message: Message


class ErrorBody(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: str
    version: str
    database: str
    schema_revision: str | None
    server_time: str


class UnitRef(BaseModel):
    code: str
    name: str
    path: list[str]


class CollectorKeyOut(BaseModel):
    key_id: str
    public_key: str = Field(description="PEM (Ed25519)")


class CollectorKeyListed(CollectorKeyOut):
    created_at: str
    retired_at: str | None


class CollectorKeys(BaseModel):
    keys: list[CollectorKeyListed]


class Enrollment(BaseModel):
    schema_: str = Field(alias="schema")
    agent_id: str
    key_id: str
    unit: UnitRef
    status: str
    server_time: str
    collector_key: CollectorKeyOut | None = Field(None, description="the key that signs receipts")

    model_config = ConfigDict(populate_by_name=True)


class DsseSignature(BaseModel):
    keyid: str
    sig: str


class DsseEnvelope(BaseModel):
    payloadType: str
    payload: str
    signatures: list[DsseSignature]


class Receipt(BaseModel):
    schema_: str = Field(alias="schema")
    report_id: int
    envelope_sha256: str
    agent_id: str
    sequence: int | None
    unit: str
    received_at: str
    status: str
    log_index: int | None = None
    signed: DsseEnvelope | None = Field(None, description="the receipt signed by the collector "
                                                          "(application/vnd.secaudit.receipt.v1+json), hash-chained")

    model_config = ConfigDict(populate_by_name=True)


class ConflictBody(BaseModel):
    error: ErrorDetail
    receipt: Receipt


class Me(BaseModel):
    name: str
    role: str
    scope: UnitRef


class UnitEventOut(BaseModel):
    at: str
    kind: str
    old: str | None
    new: str | None


class UnitChild(BaseModel):
    code: str
    name: str
    level: str


class UnitOut(BaseModel):
    code: str
    name: str
    level: str
    path: list[str]
    playbook: str | None
    playbook_inherited: bool
    children: list[UnitChild]
    agents: int
    history: list[UnitEventOut]
