using System.Collections.Frozen;
using System.Text.Json;
using PuffinOffset.Messaging.Contracts;

namespace PuffinOffset.Messaging.Outbox;

/// <summary>The message contracts an outbox row may hold, by stable name.</summary>
public static class MessageTypes
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private static readonly FrozenDictionary<string, Type> ByName = typeof(PaymentCompleted).Assembly
        .GetTypes()
        .Where(t => t.Namespace == typeof(PaymentCompleted).Namespace && t is { IsClass: true, IsAbstract: false })
        .ToFrozenDictionary(t => t.Name);

    public static string NameOf(Type type) =>
        ByName.TryGetValue(type.Name, out var known) && known == type
            ? type.Name
            : throw new ArgumentException($"{type} is not a message contract in {typeof(PaymentCompleted).Namespace}.");

    public static Type Resolve(string name) =>
        ByName.TryGetValue(name, out var type)
            ? type
            : throw new InvalidOperationException($"Unknown message type '{name}' in the outbox.");
}
