import { platformPropertySuite } from './suite';

platformPropertySuite('riscv-aia');
