package dev.cfost.internal.documents;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.RandomAccess;

/**
 * A list kept as a gap buffer: its elements fill an array except for one gap, which moves to where an
 * element is inserted or removed. Typing edits one place after another close to the last, so inserting
 * or removing there moves only the elements between the two places, where an {@link java.util.ArrayList}
 * moves every element after the place: on the automerge-paper trace (259,778 keystrokes into an array
 * that grows to 104,852 elements) that is billions of moves against a few million. Not thread-safe.
 */
final class GapList<E> extends AbstractList<E> implements RandomAccess {
  private Object[] slots;
  private int gapStart;
  private int gapEnd;

  GapList(int capacity) {
    slots = new Object[Math.max(capacity, 8)];
    gapStart = 0;
    gapEnd = slots.length;
  }

  @Override
  public int size() {
    return slots.length - (gapEnd - gapStart);
  }

  private int slot(int index) {
    if (index < 0 || index >= size()) {
      throw new IndexOutOfBoundsException("index " + index + " of a list of " + size());
    }
    return index < gapStart ? index : index + (gapEnd - gapStart);
  }

  @Override
  @SuppressWarnings("unchecked")
  public E get(int index) {
    return (E) slots[slot(index)];
  }

  @Override
  @SuppressWarnings("unchecked")
  public E set(int index, E element) {
    int s = slot(index);
    E old = (E) slots[s];
    slots[s] = element;
    return old;
  }

  @Override
  public void add(int index, E element) {
    if (index < 0 || index > size()) {
      throw new IndexOutOfBoundsException("index " + index + " to insert into a list of " + size());
    }
    if (gapStart == gapEnd) {
      grow();
    }
    moveGapTo(index);
    slots[gapStart++] = element;
    modCount++;
  }

  @Override
  @SuppressWarnings("unchecked")
  public E remove(int index) {
    slot(index);
    moveGapTo(index);
    E old = (E) slots[gapEnd];
    slots[gapEnd++] = null;
    modCount++;
    return old;
  }

  @Override
  public void clear() {
    Arrays.fill(slots, null);
    gapStart = 0;
    gapEnd = slots.length;
    modCount++;
  }

  /** Moves the gap to start at {@code index}, clearing the slots that now lie in the gap. */
  private void moveGapTo(int index) {
    int gap = gapEnd - gapStart;
    if (index < gapStart) {
      int moved = gapStart - index;
      System.arraycopy(slots, index, slots, index + gap, moved);
      Arrays.fill(slots, index, Math.min(gapStart, index + gap), null);
    } else if (index > gapStart) {
      int moved = index - gapStart;
      System.arraycopy(slots, gapEnd, slots, gapStart, moved);
      Arrays.fill(slots, Math.max(gapEnd, index), index + gap, null);
    }
    gapStart = index;
    gapEnd = index + gap;
  }

  /** Doubles the array, keeping the gap where it is. */
  private void grow() {
    int size = size();
    Object[] bigger = new Object[Math.max(8, slots.length * 2)];
    int tail = slots.length - gapEnd;
    System.arraycopy(slots, 0, bigger, 0, gapStart);
    System.arraycopy(slots, gapEnd, bigger, bigger.length - tail, tail);
    slots = bigger;
    gapEnd = bigger.length - tail;
    assert size() == size;
  }
}
