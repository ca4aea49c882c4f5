using PuffinOffset.Platform;

namespace PuffinOffset.Messaging.Outbox;

/// <summary>Wakes the outbox dispatcher right after a commit that wrote outbox rows.</summary>
public sealed class OutboxSignal : WakeSignal;
