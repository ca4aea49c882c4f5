namespace PuffinOffset.Chaos;

/// <summary>Draws from a shuffled copy of <paramref name="cards"/>, reshuffling when it runs out: every card comes up once per round.</summary>
public sealed class Deck<T>(IReadOnlyList<T> cards, Random random)
{
    private readonly Queue<T> _left = new();

    public T Draw()
    {
        if (_left.Count == 0)
        {
            var round = cards.ToArray();
            random.Shuffle(round);
            foreach (var card in round)
            {
                _left.Enqueue(card);
            }
        }

        return _left.Dequeue();
    }
}
