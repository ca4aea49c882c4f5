using System.Buffers;
using System.Collections;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace PuffinOffset.Fulfillment.Wren;

/// <summary>
/// Reads <c>GET /api/offset-orders</c> as a stream and keeps only the orders carrying one of the notes looked for.
/// The serializer reads the array element by element (built-in converters resume across buffer refills) and hands
/// each order to <see cref="MatchingOrders.Add"/>, which drops it unless its note matches: memory stays at one
/// buffer plus the matches, however long the account's history is.
/// </summary>
internal static class WrenOrderList
{
    /// <summary>The matches of each of <paramref name="notes"/> (compared trimmed, ignoring case), in list order.</summary>
    public static async Task<IReadOnlyDictionary<string, List<WrenListedOrder>>> ReadMatchesAsync(Stream body,
        IReadOnlyCollection<string> notes, CancellationToken cancellationToken)
    {
        var options = OptionsFor(notes);
        // The documented {"offsetOrders": [...]}; an older shape was a bare array, told apart by its first byte.
        var prefixed = await PeekingStream.OpenAsync(body, cancellationToken);
        if (prefixed.FirstByte == (byte)'[')
        {
            var list = await JsonSerializer.DeserializeAsync<MatchingOrders>(prefixed, options, cancellationToken);
            return list?.Matches ?? throw new JsonException("The order list is null.");
        }

        var page = await JsonSerializer.DeserializeAsync<OrderPage>(prefixed, options, cancellationToken);
        return page?.OffsetOrders?.Matches ?? throw new JsonException("No offsetOrders array.");
    }

    /// <summary>A fresh contract per read: the collection needs the notes before the first element arrives.</summary>
    private static JsonSerializerOptions OptionsFor(IReadOnlyCollection<string> notes) => new(JsonSerializerDefaults.Web)
    {
        // Fewer, larger reads from the response stream; still a fixed amount of memory.
        DefaultBufferSize = 64 * 1024,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                info =>
                {
                    if (info.Type == typeof(MatchingOrders))
                    {
                        info.CreateObject = () => new MatchingOrders(notes);
                    }
                },
            },
        },
    };

    private sealed class OrderPage
    {
        public MatchingOrders? OffsetOrders { get; set; }
    }

    /// <summary>
    /// One listed order, read cheaply (it is dropped at once unless it matches): the id as Wren wrote it (a
    /// string, or a number in older data), the time parsed only for a match.
    /// </summary>
    internal sealed class ListedOrder
    {
        [JsonConverter(typeof(IdAsText))]
        public string? Id { get; set; }
        public string? Note { get; set; }
        public string? CreatedAt { get; set; }
    }

    private sealed class IdAsText : JsonConverter<string?>
    {
        public override bool HandleNull => true;

        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
            JsonTokenType.Null => null,
            _ => throw new JsonException("An order id is a string or a number."),
        };

        public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    /// <summary>Keeps the matches only; everything else is dropped as soon as it is read.</summary>
    internal sealed class MatchingOrders(IReadOnlyCollection<string> notes) : ICollection<ListedOrder>
    {
        private readonly HashSet<string> _notes = new(notes.Select(n => n.Trim()), StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, List<WrenListedOrder>> _matches = new(StringComparer.OrdinalIgnoreCase);
        private int _count;

        public MatchingOrders() : this([]) { }

        public IReadOnlyDictionary<string, List<WrenListedOrder>> Matches => _matches;

        public int Count => _count;

        public bool IsReadOnly => false;

        public void Add(ListedOrder item)
        {
            if (item.Note is not { } listed || !_notes.TryGetValue(listed.Trim(), out var note))
            {
                return;
            }

            DateTimeOffset? createdAt = DateTimeOffset.TryParse(item.CreatedAt, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
            if (!_matches.TryGetValue(note, out var matches))
            {
                _matches[note] = matches = [];
            }

            matches.Add(new WrenListedOrder(item.Id ?? "", createdAt, matches.Count));
            _count++;
        }

        public void Clear()
        {
            _matches.Clear();
            _count = 0;
        }

        public bool Contains(ListedOrder item) => false;

        public void CopyTo(ListedOrder[] array, int arrayIndex) => throw new NotSupportedException();

        public bool Remove(ListedOrder item) => throw new NotSupportedException();

        public IEnumerator<ListedOrder> GetEnumerator() => Enumerable.Empty<ListedOrder>().GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Gives back the bytes read to look at the first non-blank character, then the rest of the body.</summary>
    private sealed class PeekingStream(Stream inner, byte[] prefix, int prefixLength, byte firstByte) : Stream
    {
        private int _prefixPosition;

        public byte FirstByte { get; } = firstByte;

        public static async Task<PeekingStream> OpenAsync(Stream inner, CancellationToken cancellationToken)
        {
            var buffer = new byte[256];
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    throw new JsonException("The order list starts with too much white space.");
                }

                var read = await inner.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    throw new JsonException("The order list is empty.");
                }

                for (var i = length; i < length + read; i++)
                {
                    if (buffer[i] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF))
                    {
                        return new PeekingStream(inner, buffer, length + read, buffer[i]);
                    }
                }

                length += read;
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            if (_prefixPosition < prefixLength)
            {
                var count = Math.Min(destination.Length, prefixLength - _prefixPosition);
                prefix.AsMemory(_prefixPosition, count).CopyTo(destination);
                _prefixPosition += count;
                return count;
            }

            return await inner.ReadAsync(destination, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>An order found by its note: <paramref name="Position"/> is its place among the matches as listed.</summary>
public sealed record WrenListedOrder(string Id, DateTimeOffset? CreatedAt, int Position);
