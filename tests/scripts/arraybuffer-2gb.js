// One allocation far past any cap.
new ArrayBuffer(2 ** 31);
