/** The Keras class of a tfjs class name: tfjs calls a functional model `Model`, Keras `Functional`. */
export function kerasClassName(tfjsClassName: string): string {
  return tfjsClassName === 'Model' ? 'Functional' : tfjsClassName;
}

/** Keras 3's snake_case of a class name (keras.src.utils.naming.to_snake_case). */
export function kerasSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * Where Keras 3 keeps each layer's variables in `model.weights.h5`: not by layer name but by
 * class, counted in layer order within the model: `layers/dense`, `layers/dense_1`,
 * `layers/conv2d`, ... A nested model's layers continue below its own path
 * (`layers/sequential/layers/dense`). The variables are datasets `0`, `1`, ... of `<path>/vars`.
 */
export function keras3LayerPaths<T>(layers: T[], className: (layer: T) => string, prefix: string): Array<{ layer: T; path: string }> {
  const used = new Map<string, number>();
  return layers.map((layer) => {
    const base = kerasSnakeCase(className(layer));
    const count = used.get(base);
    used.set(base, count === undefined ? 0 : count + 1);
    const name = count === undefined ? base : `${base}_${count + 1}`;
    return { layer, path: prefix ? `${prefix}/${name}` : name };
  });
}
