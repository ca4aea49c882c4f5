using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace PuffinOffset.Api.Webhooks;

/// <summary>
/// A webhook's raw bytes in a pooled buffer, never copied into a string. Stripe signs <c>{t}.{body}</c>: the body is
/// read leaving <see cref="Headroom"/> bytes before it, so that the signed payload is hashed in place
/// (<see cref="SignedPayload"/>) rather than concatenated into a second copy. Dispose returns the buffer.
/// </summary>
public sealed class StripeWebhookBody : IDisposable
{
    /// <summary>Room for the <c>t</c> value and its dot: a Unix time has 10 digits until the year 2286.</summary>
    public const int Headroom = 64;

    private const int FirstRead = 16 * 1024;

    private byte[]? _buffer;
    private int _length;

    private StripeWebhookBody(byte[] buffer) => _buffer = buffer;

    public ReadOnlySpan<byte> Json => Buffer.AsSpan(Headroom, _length);

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(StripeWebhookBody));

    /// <summary>For callers that already hold the body as text (tests, tools).</summary>
    public static StripeWebhookBody From(string json)
    {
        var body = new StripeWebhookBody(ArrayPool<byte>.Shared.Rent(Headroom + Encoding.UTF8.GetMaxByteCount(json.Length)));
        body._length = Encoding.UTF8.GetBytes(json, body.Buffer.AsSpan(Headroom));
        return body;
    }

    /// <summary>The exact bytes Stripe signed, or null when they exceed <paramref name="maxBytes"/>.</summary>
    public static async Task<StripeWebhookBody?> ReadAsync(HttpContext context, int maxBytes)
    {
        if (context.Request.ContentLength > maxBytes)
        {
            return null;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes + 1;
        }

        // One byte more than announced, so that the read which returns 0 needs no second buffer.
        var body = new StripeWebhookBody(ArrayPool<byte>.Shared.Rent(Headroom + (int)(context.Request.ContentLength + 1 ?? FirstRead)));
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(body.Buffer.AsMemory(Headroom + body._length), context.RequestAborted)) > 0)
            {
                body._length += read;
                if (body._length > maxBytes)
                {
                    body.Dispose();
                    return null;
                }

                if (Headroom + body._length == body.Buffer.Length)
                {
                    body.Grow();
                }
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            body.Dispose();
            return null;
        }
        catch
        {
            body.Dispose();
            throw;
        }

        return body;
    }

    /// <summary><paramref name="prefix"/> followed by the body, contiguous in the buffer (the prefix overwrites only the headroom).</summary>
    public ReadOnlySpan<byte> SignedPayload(ReadOnlySpan<byte> prefix)
    {
        if (prefix.Length > Headroom)
        {
            throw new ArgumentOutOfRangeException(nameof(prefix), $"At most {Headroom} bytes fit before the body.");
        }

        var start = Headroom - prefix.Length;
        prefix.CopyTo(Buffer.AsSpan(start));
        return Buffer.AsSpan(start, prefix.Length + _length);
    }

    private void Grow()
    {
        var larger = ArrayPool<byte>.Shared.Rent(Buffer.Length * 2);
        Buffer.AsSpan(0, Headroom + _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(Buffer);
        _buffer = larger;
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
